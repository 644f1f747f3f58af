import { describe, expect, it } from 'vitest';
import { ForbiddenTenantError, UnauthenticatedError } from '../live.errors.ts';
import { authorizeTenant } from './caller.ts';

const tokens = new Map([
  ['acme-token', 'acme'],
  ['globex-token', 'globex'],
]);

describe('authorizeTenant', () => {
  it('accepts a bearer header or an access_token for the token’s own tenant', () => {
    expect(authorizeTenant(tokens, 'Bearer acme-token', undefined, 'acme')).toBe('acme');
    expect(authorizeTenant(tokens, undefined, 'acme-token', 'acme')).toBe('acme');
  });

  it('is 401 without a token, with an unknown one, or with a malformed header', () => {
    expect(() => authorizeTenant(tokens, undefined, undefined, 'acme')).toThrow(UnauthenticatedError);
    expect(() => authorizeTenant(tokens, 'Bearer nope', undefined, 'acme')).toThrow(UnauthenticatedError);
    expect(() => authorizeTenant(tokens, 'Basic acme-token', undefined, 'acme')).toThrow(
      UnauthenticatedError,
    );
    expect(() => authorizeTenant(tokens, undefined, ['acme-token'], 'acme')).toThrow(UnauthenticatedError);
  });

  it('is 403 for another tenant', () => {
    expect(() => authorizeTenant(tokens, 'Bearer acme-token', undefined, 'globex')).toThrow(
      ForbiddenTenantError,
    );
  });
});
