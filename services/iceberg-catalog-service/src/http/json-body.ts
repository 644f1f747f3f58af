import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { map, type Observable } from 'rxjs';
import { parseJson, stringifyJson } from '../json/lossless-json.ts';

/** Thrown for a body that is not JSON; the kit's error mapping turns it into a 400. */
function malformed(error: unknown): Error {
  return Object.assign(new SyntaxError(error instanceof Error ? error.message : 'invalid JSON'), {
    statusCode: 400,
  });
}

/**
 * Replaces Fastify's JSON body parser with the lossless one (snapshot ids stay exact). An empty
 * body is no body: clients send `Content-Type: application/json` on every request, DELETE included.
 */
@Injectable()
export class LosslessJsonBodies implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.removeContentTypeParser('application/json');
    fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      const text = String(body);
      if (text.trim() === '') return done(null, undefined);
      try {
        done(null, parseJson(text));
      } catch (error) {
        done(malformed(error), undefined);
      }
    });
  }
}

/** Writes handler results with the lossless serializer, so 64-bit ids leave as they came in. */
@Injectable()
export class LosslessJsonResponses implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return next.handle().pipe(
      map((value: unknown) => {
        if (value === undefined || value === null) return value;
        void reply.header('content-type', 'application/json');
        return stringifyJson(value);
      }),
    );
  }
}
