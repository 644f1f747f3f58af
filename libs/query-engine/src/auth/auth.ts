import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Principal } from '../backend.ts';

/** Checks user credentials; identity-service will implement this once it exists. */
export interface AuthProvider {
  authenticate(user: string, password: string): Promise<Principal | undefined>;
}

export interface StaticUser {
  user: string;
  password: string;
  /** Catalogs the user may see; undefined means every catalog the server has. */
  catalogs?: readonly string[] | undefined;
}

/**
 * Parses `name:password[:catalog,catalog]` entries separated by `;` or whitespace. Passwords
 * may not contain `:`, `;` or spaces; this format is for development credentials only.
 */
export function parseStaticUsers(spec: string): StaticUser[] {
  return spec
    .split(/[;\s]+/)
    .filter(Boolean)
    .map((entry) => {
      const [user, password, catalogs] = entry.split(':');
      if (!user || !password) throw new Error(`user entry "${user ?? ''}" must be name:password[:catalog,…]`);
      return {
        user,
        password,
        catalogs: catalogs
          ? catalogs
              .split(',')
              .map((c) => c.trim())
              .filter(Boolean)
          : undefined,
      };
    });
}

function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export class StaticAuthProvider implements AuthProvider {
  private readonly users: Map<string, StaticUser>;
  constructor(
    users: readonly StaticUser[],
    private readonly allCatalogs: readonly string[],
  ) {
    this.users = new Map(users.map((u) => [u.user, u]));
  }

  async authenticate(user: string, password: string): Promise<Principal | undefined> {
    const entry = this.users.get(user);
    if (!entry || !same(entry.password, password)) return undefined;
    const catalogs = entry.catalogs
      ? this.allCatalogs.filter((c) => entry.catalogs?.includes(c))
      : [...this.allCatalogs];
    return { user: entry.user, catalogs };
  }
}

/**
 * Bearer tokens issued by the handshake. They live in this process, so any connection to it
 * (JDBC opens several) can use them until they expire.
 */
export class TokenStore {
  private readonly tokens = new Map<string, { principal: Principal; expiresAt: number }>();
  constructor(private readonly ttlMs: number = 12 * 60 * 60 * 1000) {}

  issue(principal: Principal): string {
    const token = randomBytes(32).toString('base64url');
    this.tokens.set(token, { principal, expiresAt: Date.now() + this.ttlMs });
    if (this.tokens.size % 1024 === 0) this.sweep();
    return token;
  }

  resolve(token: string): Principal | undefined {
    const entry = this.tokens.get(token);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.tokens.delete(token);
      return undefined;
    }
    return entry.principal;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [token, entry] of this.tokens) if (entry.expiresAt <= now) this.tokens.delete(token);
  }
}

/** `Basic <base64(user:password)>`, padded or not; undefined when the header is not Basic. */
export function parseBasic(header: string): { user: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function parseBearer(header: string): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
}
