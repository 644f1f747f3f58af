import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { InjectConfig } from '@openfoundry/service-kit';
import type { FastifyRequest } from 'fastify';
import type { LiveConfig } from '../config.ts';
import { authorizeTenant } from './caller.ts';

/** Routes under /v1/tenants/:tenant: the bearer token must act for that tenant (401, 403). */
@Injectable()
export class TenantGuard implements CanActivate {
  constructor(@InjectConfig() private readonly config: LiveConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const { tenant } = request.params as { tenant: string };
    const query = request.query as Record<string, unknown>;
    authorizeTenant(this.config.LIVE_TOKENS, request.headers.authorization, query.access_token, tenant);
    return true;
  }
}
