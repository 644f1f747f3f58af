import { type CanActivate, createParamDecorator, type ExecutionContext, Injectable } from '@nestjs/common';
import { InjectConfig } from '@openfoundry/service-kit';
import type { FastifyRequest } from 'fastify';
import { ALL_TENANTS, type ConnectorManagementConfig } from '../config.ts';
import { ForbiddenError, UnauthorizedError } from '../errors.ts';

/** Who is calling: the tenant their token acts for, or `*` for an admin token. */
export interface Caller {
  tenant: string;
}

type AuthenticatedRequest = FastifyRequest & { caller?: Caller };

export const isAdmin = (caller: Caller) => caller.tenant === ALL_TENANTS;

/** Refuses every tenant but the caller's own (admins pass), whether anything exists there or not. */
export function authorizeTenant(caller: Caller, tenant: string): void {
  if (!isAdmin(caller) && caller.tenant !== tenant)
    throw new ForbiddenError(`tenant ${caller.tenant} may not access tenant ${tenant}`);
}

export function authorizeAdmin(caller: Caller): void {
  if (!isAdmin(caller)) throw new ForbiddenError('this needs an admin token');
}

/**
 * A known bearer token (401 otherwise); under /v1/tenants/{tenant}/…, that tenant's token or an
 * admin token (403 otherwise).
 */
@Injectable()
export class CallerGuard implements CanActivate {
  constructor(@InjectConfig() private readonly config: ConnectorManagementConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    const tenant = match?.[1] ? this.config.CONNECTOR_TOKENS.get(match[1]) : undefined;
    if (!tenant) throw new UnauthorizedError();
    const caller = { tenant };
    const params = request.params as { tenant?: string };
    if (params.tenant !== undefined) authorizeTenant(caller, params.tenant);
    request.caller = caller;
    return true;
  }
}

/** The authenticated caller (the CallerGuard has run). */
export const CurrentCaller = createParamDecorator((_data: unknown, context: ExecutionContext): Caller => {
  const caller = context.switchToHttp().getRequest<AuthenticatedRequest>().caller;
  if (!caller) throw new UnauthorizedError();
  return caller;
});
