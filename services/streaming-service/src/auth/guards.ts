import { timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { InjectConfig } from '@openfoundry/service-kit';
import type { StreamingConfig } from '../config.ts';
import { AuthErrorCode, ForbiddenError, UnauthorizedError } from './auth.errors.ts';

/** What the guards read of a request (Fastify's, without depending on its types). */
interface HttpRequest {
  headers: { authorization?: string | undefined };
  params: unknown;
}

const bearer = (request: HttpRequest): string | undefined =>
  /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];

/**
 * Routes under /v1/tenants/{tenant}: a known bearer token (401 otherwise) acting for exactly that
 * tenant (403 otherwise, whether the other tenant has data or not, so nothing leaks).
 */
@Injectable()
export class TenantGuard implements CanActivate {
  constructor(@InjectConfig() private readonly config: StreamingConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<HttpRequest>();
    const token = bearer(request);
    const tenant = token ? this.config.STREAMING_TOKENS.get(token) : undefined;
    if (!tenant) throw new UnauthorizedError();
    const { tenant: wanted } = request.params as { tenant?: string };
    if (wanted !== tenant) throw new ForbiddenError(`this token may not read tenant ${wanted ?? ''}`);
    return true;
  }
}

/** /v1/admin/*: the STREAMING_ADMIN_TOKEN bearer token; 403 when no admin token is configured. */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(@InjectConfig() private readonly config: StreamingConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.config.STREAMING_ADMIN_TOKEN;
    if (!expected)
      throw new ForbiddenError(
        'admin endpoints are disabled: set STREAMING_ADMIN_TOKEN',
        AuthErrorCode.ADMIN_DISABLED,
      );
    const given = bearer(context.switchToHttp().getRequest<HttpRequest>());
    const a = Buffer.from(given ?? '');
    const b = Buffer.from(expected);
    if (a.length !== b.length || !timingSafeEqual(a, b)) throw new UnauthorizedError();
    return true;
  }
}
