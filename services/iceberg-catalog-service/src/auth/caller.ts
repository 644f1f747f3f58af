import { type CanActivate, createParamDecorator, type ExecutionContext, Injectable } from '@nestjs/common';
import { InjectConfig } from '@openfoundry/service-kit';
import type { FastifyRequest } from 'fastify';
import { ForbiddenError, NotAuthorizedError, NotFoundError } from '../catalog.errors.ts';
import type { CatalogConfig } from '../config.ts';

/** Who is calling: the tenant their token acts for. A tenant owns the namespaces under its slug. */
export interface Caller {
  /** A tenant slug, or ALL_TENANTS for a platform writer whose token acts for every tenant. */
  tenant: string;
}

/** The tenant of a token that acts for every tenant (`CATALOG_TOKENS` entry `token=*`). */
export const ALL_TENANTS = '*';

type AuthenticatedRequest = FastifyRequest & { caller?: Caller };

/** Denies every namespace outside the caller's tenant, whether it exists or not, so nothing leaks. */
export function authorize(caller: Caller, namespace: readonly string[]): void {
  if (caller.tenant !== ALL_TENANTS && namespace[0] !== caller.tenant)
    throw new ForbiddenError(`Tenant ${caller.tenant} may not access namespace ${namespace.join('.')}`);
}

/**
 * Every catalog route: a known bearer token (401 otherwise) and, under /v1/{prefix}/…, the
 * warehouse this catalog serves (404 otherwise).
 */
@Injectable()
export class CallerGuard implements CanActivate {
  constructor(@InjectConfig() private readonly config: CatalogConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const tenant = match?.[1] ? this.config.CATALOG_TOKENS.get(match[1]) : undefined;
    if (!tenant) throw new NotAuthorizedError();
    const { prefix } = request.params as { prefix?: string };
    if (prefix !== undefined && prefix !== this.config.OPENFOUNDRY_S3_WAREHOUSE_BUCKET)
      throw new NotFoundError(`Unknown warehouse: ${prefix}`);
    request.caller = { tenant };
    return true;
  }
}

/** The authenticated caller (the CallerGuard has run). */
export const CurrentCaller = createParamDecorator((_data: unknown, context: ExecutionContext): Caller => {
  const caller = context.switchToHttp().getRequest<AuthenticatedRequest>().caller;
  if (!caller) throw new NotAuthorizedError();
  return caller;
});
