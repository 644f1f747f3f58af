import type { PartitionSpec, Schema, SnapshotRef, TableMetadata } from '../iceberg/table-metadata.ts';
import { type Long, parseLosslessJson, stringifyLosslessJson } from '../json.ts';
import { CatalogError, CatalogErrorCode, catalogError } from './catalog.errors.ts';

export interface TableIdentifier {
  /** Namespace levels; the first one is the tenant (ADR 0012). */
  namespace: readonly string[];
  name: string;
}

export interface LoadedTable {
  identifier: TableIdentifier;
  metadataLocation: string;
  metadata: TableMetadata;
  /** Per-table client settings from the catalog (S3 endpoint and credentials). */
  config: Record<string, string>;
}

export type TableRequirement =
  | { type: 'assert-create' }
  | { type: 'assert-table-uuid'; uuid: string }
  | { type: 'assert-ref-snapshot-id'; ref: string; 'snapshot-id': Long | null }
  | { type: 'assert-current-schema-id'; 'current-schema-id': number }
  | { type: 'assert-default-spec-id'; 'default-spec-id': number };

export type TableUpdate =
  | { action: 'add-snapshot'; snapshot: Record<string, unknown> }
  | ({ action: 'set-snapshot-ref'; 'ref-name': string } & SnapshotRef)
  | { action: 'remove-snapshots'; 'snapshot-ids': Long[] }
  | { action: 'set-properties'; updates: Record<string, string> };

export interface CreateTableRequest {
  name: string;
  schema: Omit<Schema, 'schema-id'> & { 'schema-id'?: number };
  'partition-spec'?: Omit<PartitionSpec, 'spec-id' | 'fields'> & {
    'spec-id'?: number;
    fields: (Omit<PartitionSpec['fields'][number], 'field-id'> & { 'field-id'?: number })[];
  };
  location?: string;
  properties?: Record<string, string>;
}

export interface RestCatalogOptions {
  /** The catalog's base URL, e.g. http://127.0.0.1:8181 (without /v1). */
  uri: string;
  token: string;
  /** The warehouse to ask /v1/config for; its answer's prefix goes in every path. */
  warehouse?: string;
  fetch?: typeof fetch;
}

/** A small client of the Iceberg REST catalog protocol: the calls writers and maintenance need. */
export class RestCatalog {
  private prefix: Promise<string> | undefined;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: RestCatalogOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  async createNamespace(
    namespace: readonly string[],
    properties: Record<string, string> = {},
  ): Promise<void> {
    await this.request('POST', `${await this.base()}/namespaces`, { namespace, properties });
  }

  /** Creates the namespace and each missing parent; existing ones are left as they are. */
  async ensureNamespace(namespace: readonly string[]): Promise<void> {
    for (let depth = 1; depth <= namespace.length; depth++) {
      try {
        await this.createNamespace(namespace.slice(0, depth));
      } catch (error) {
        if (!(error instanceof CatalogError && error.code === CatalogErrorCode.AlreadyExists)) throw error;
      }
    }
  }

  async createTable(namespace: readonly string[], request: CreateTableRequest): Promise<LoadedTable> {
    const body = await this.request(
      'POST',
      `${await this.base()}/namespaces/${encodeNamespace(namespace)}/tables`,
      request,
    );
    return loaded({ namespace, name: request.name }, body);
  }

  async loadTable(table: TableIdentifier): Promise<LoadedTable> {
    return loaded(table, await this.request('GET', await this.tablePath(table)));
  }

  async dropTable(table: TableIdentifier, options: { purge?: boolean } = {}): Promise<void> {
    await this.request('DELETE', `${await this.tablePath(table)}?purgeRequested=${options.purge === true}`);
  }

  /**
   * Applies updates if every requirement holds. Throws CommitFailedError (409) when another
   * commit got there first, CatalogError CommitStateUnknown when the catalog cannot tell.
   */
  async commitTable(
    table: TableIdentifier,
    requirements: TableRequirement[],
    updates: TableUpdate[],
  ): Promise<LoadedTable> {
    const body = await this.request(
      'POST',
      await this.tablePath(table),
      { identifier: { namespace: table.namespace, name: table.name }, requirements, updates },
      { commit: true },
    );
    return loaded(table, body);
  }

  private async tablePath(table: TableIdentifier): Promise<string> {
    return `${await this.base()}/namespaces/${encodeNamespace(table.namespace)}/tables/${encodeURIComponent(table.name)}`;
  }

  private base(): Promise<string> {
    this.prefix ??= this.request(
      'GET',
      `/v1/config${this.options.warehouse ? `?warehouse=${encodeURIComponent(this.options.warehouse)}` : ''}`,
    ).then(
      (config) => {
        const prefix = (config as { overrides?: { prefix?: string }; defaults?: { prefix?: string } })
          .overrides?.prefix;
        return prefix ? `/v1/${encodeURIComponent(prefix)}` : '/v1';
      },
      (error: unknown) => {
        this.prefix = undefined;
        throw error;
      },
    );
    return this.prefix;
  }

  private async request(
    method: string,
    path: string,
    body?: unknown,
    options: { commit?: boolean } = {},
  ): Promise<unknown> {
    let response: Response;
    try {
      response = await this.fetch(`${this.options.uri.replace(/\/+$/, '')}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.options.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: stringifyLosslessJson(body) }),
      });
    } catch (error) {
      // A request that may have reached the catalog leaves a commit's outcome open.
      throw new CatalogError(
        options.commit ? CatalogErrorCode.CommitStateUnknown : CatalogErrorCode.ServiceUnavailable,
        `catalog unreachable: ${(error as Error).message}`,
      );
    }
    const text = await response.text();
    const parsed = text ? safeParse(text) : undefined;
    if (!response.ok) throw catalogError(response.status, parsed, options.commit === true);
    return parsed;
  }
}

/** Namespace levels in a path: joined by the unit separator, then percent-encoded. */
function encodeNamespace(namespace: readonly string[]): string {
  return encodeURIComponent(namespace.join('\u001f'));
}

function safeParse(text: string): unknown {
  try {
    return parseLosslessJson(text);
  } catch {
    return undefined;
  }
}

function loaded(identifier: TableIdentifier, body: unknown): LoadedTable {
  const result = body as {
    'metadata-location'?: string;
    metadata?: TableMetadata;
    config?: Record<string, string>;
  };
  if (!result?.metadata || !result['metadata-location'])
    throw new CatalogError(CatalogErrorCode.Unknown, 'the catalog answered without table metadata');
  return {
    identifier: { namespace: [...identifier.namespace], name: identifier.name },
    metadataLocation: result['metadata-location'],
    metadata: result.metadata,
    config: result.config ?? {},
  };
}
