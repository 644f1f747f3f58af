import { ForbiddenTenantError, UnauthenticatedError } from '../live.errors.ts';

/**
 * The tenant a request acts for, from `Authorization: Bearer <token>` or, for browsers'
 * EventSource and WebSocket which cannot set headers, `?access_token=<token>`.
 * Throws 401 without a known token, 403 when the token belongs to another tenant than `tenant`.
 */
export function authorizeTenant(
  tokens: ReadonlyMap<string, string>,
  authorization: string | undefined,
  accessToken: unknown,
  tenant: string,
): string {
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  const token = bearer ?? (typeof accessToken === 'string' && accessToken !== '' ? accessToken : undefined);
  const caller = token === undefined ? undefined : tokens.get(token);
  if (caller === undefined) throw new UnauthenticatedError();
  if (caller !== tenant) throw new ForbiddenTenantError(tenant);
  return caller;
}
