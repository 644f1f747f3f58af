import { type Backend, BackendRegistry, type Principal } from './backend.ts';
import { QueryError, QueryErrorCode } from './errors.ts';
import { DuckDBParser } from './sql/duckdb-parser.ts';
import { type StatementAnalysis, StatementAnalyzer } from './sql/statement-analyzer.ts';

export interface Route {
  backend: Backend;
  /** The catalogs the statement names, in the order the backends list them. */
  catalogs: string[];
  /** Where unqualified names resolve: the session's catalog, else the backend's first granted one. */
  catalog: string;
  analysis: StatementAnalysis;
}

/**
 * Sends each statement to the backend that owns the catalogs it names (ADR 0004), as DuckDB's
 * parser reads them (`StatementAnalyzer`); a statement naming none runs where the session's
 * catalog lives, else on the first backend serving a catalog the user was granted. Catalogs the
 * user was not granted, engine-wide listings on an engine serving such catalogs, and statements
 * naming catalogs of two engines are refused.
 */
export class StatementRouter {
  private readonly registry: BackendRegistry;
  private readonly analyzer: StatementAnalyzer;
  private readonly parser: DuckDBParser | undefined;

  constructor(backends: BackendRegistry | readonly Backend[], analyzer?: StatementAnalyzer) {
    this.registry = backends instanceof BackendRegistry ? backends : new BackendRegistry(backends);
    if (this.registry.backends.length === 0) throw new Error('StatementRouter needs at least one backend');
    if (!analyzer) this.parser = new DuckDBParser();
    this.analyzer = analyzer ?? new StatementAnalyzer(this.parser as DuckDBParser);
  }

  get catalogs(): string[] {
    return this.registry.catalogs;
  }

  backendOf(catalog: string): Backend | undefined {
    return this.registry.backendOf(catalog);
  }

  async route(sql: string, principal: Principal, sessionCatalog?: string): Promise<Route> {
    const served = new Map(this.catalogs.map((catalog) => [catalog.toLowerCase(), catalog]));
    const analysis = await this.analyzer.analyze(sql, [...served.keys()]);
    const named = new Set(analysis.catalogs.map((catalog) => served.get(catalog) as string));
    const catalogs = this.catalogs.filter((catalog) => named.has(catalog));
    const granted = (catalog: string) => principal.catalogs.includes(catalog);
    const hidden = catalogs.filter((catalog) => !granted(catalog));
    if (hidden.length > 0)
      throw new QueryError(
        QueryErrorCode.PermissionDenied,
        `catalog ${hidden.join(', ')} is not granted to ${principal.user}`,
      );
    const engines = new Set(catalogs.map((catalog) => this.registry.backendOf(catalog) as Backend));
    if (engines.size > 1)
      throw new QueryError(
        QueryErrorCode.InvalidArgument,
        `the statement mixes catalogs of different engines (${catalogs.join(', ')}); query them separately`,
      );
    const session = sessionCatalog && granted(sessionCatalog) ? sessionCatalog : undefined;
    const backend =
      [...engines][0] ??
      (session ? this.registry.backendOf(session) : undefined) ??
      this.registry.backends.find((candidate) => candidate.catalogs.some(granted)) ??
      (this.registry.backends[0] as Backend);
    const ungranted = backend.catalogs.filter((catalog) => !granted(catalog));
    if (analysis.listings.length > 0 && ungranted.length > 0)
      throw new QueryError(
        QueryErrorCode.PermissionDenied,
        `${analysis.listings.join(', ')} would list catalogs not granted to ${principal.user}; ` +
          'use the Flight SQL metadata commands (GetCatalogs, GetDbSchemas, GetTables) instead',
      );
    const catalog = session && backend.catalogs.includes(session) ? session : backend.catalogs.find(granted);
    if (!catalog)
      throw new QueryError(
        QueryErrorCode.PermissionDenied,
        `no catalog of ${backend.name} is granted to ${principal.user}`,
      );
    return { backend, catalogs, catalog, analysis };
  }

  /** How a route reads in EXPLAIN output: `backend=duckdb catalogs=postgres`. */
  static describe(route: Route): string {
    const catalogs = route.catalogs.length > 0 ? route.catalogs : [route.catalog];
    return `backend=${route.backend.name} catalogs=${catalogs.join(',')}`;
  }

  async close(): Promise<void> {
    await this.parser?.close();
  }
}
