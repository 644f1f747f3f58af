import { applyDecorators, UseFilters, UseGuards, UseInterceptors } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CallerGuard } from '../auth/caller.ts';
import { IcebergExceptionFilter } from './iceberg-exception.filter.ts';
import { LosslessJsonResponses } from './json-body.ts';

/** A controller of the Iceberg REST API: bearer auth, the Iceberg error model, lossless JSON out. */
export function CatalogRoutes(): ClassDecorator {
  return applyDecorators(
    UseGuards(CallerGuard),
    UseFilters(IcebergExceptionFilter),
    UseInterceptors(LosslessJsonResponses),
  );
}

/**
 * Fastify answers HEAD with the GET route of the same path, so the exists-checks of the spec
 * (HEAD namespace, HEAD table) live in the load handlers: true when this was a HEAD, now a 204.
 */
export function answeredHead(request: FastifyRequest, reply: FastifyReply): boolean {
  if (request.method !== 'HEAD') return false;
  void reply.status(204);
  return true;
}
