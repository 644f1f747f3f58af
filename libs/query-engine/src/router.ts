import type { Backend, Principal } from './backend.ts';
import { QueryError, QueryErrorCode } from './errors.ts';

export interface Route {
  backend: Backend;
  /** The catalogs the statement names, in the order the backends list them. */
  catalogs: string[];
}

/**
 * Sends each statement to the backend that owns the catalogs it names (ADR 0004). Catalogs are
 * found as qualifiers (`catalog.` before a schema or table), quoted or not; a statement naming
 * none runs where the session's catalog lives, else on the first backend. Statements naming
 * catalogs of two engines are refused: cross-engine joins are not supported.
 */
export class StatementRouter {
  private readonly owners = new Map<string, Backend>();
  private readonly mentions = new Map<string, RegExp>();

  constructor(private readonly backends: readonly Backend[]) {
    if (backends.length === 0) throw new Error('StatementRouter needs at least one backend');
    for (const backend of backends)
      for (const catalog of backend.catalogs) {
        if (this.owners.has(catalog)) throw new Error(`catalog ${catalog} is served by two backends`);
        this.owners.set(catalog, backend);
        const name = catalog.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        this.mentions.set(catalog, new RegExp(`(^|[^\\w."])"?${name}"?\\s*\\.`, 'i'));
      }
  }

  get catalogs(): string[] {
    return [...this.owners.keys()];
  }

  backendOf(catalog: string): Backend | undefined {
    return this.owners.get(catalog);
  }

  referencedCatalogs(sql: string): string[] {
    return this.catalogs.filter((catalog) => this.mentions.get(catalog)?.test(sql));
  }

  route(sql: string, principal: Principal, sessionCatalog?: string): Route {
    const catalogs = this.referencedCatalogs(sql);
    const hidden = catalogs.filter((catalog) => !principal.catalogs.includes(catalog));
    if (hidden.length > 0)
      throw new QueryError(
        QueryErrorCode.PermissionDenied,
        `catalog ${hidden.join(', ')} is not granted to ${principal.user}`,
      );
    const engines = new Set(catalogs.map((catalog) => this.owners.get(catalog) as Backend));
    if (engines.size > 1)
      throw new QueryError(
        QueryErrorCode.InvalidArgument,
        `the statement mixes catalogs of different engines (${catalogs.join(', ')}); query them separately`,
      );
    const [named] = engines;
    const session = sessionCatalog ? this.owners.get(sessionCatalog) : undefined;
    return { backend: named ?? session ?? (this.backends[0] as Backend), catalogs };
  }
}
