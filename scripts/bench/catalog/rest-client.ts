import { appendCommit, type Metadata, nextSnapshot } from './snapshots.ts';

const NAMESPACE_SEPARATOR = '%1F';

export interface LoadedTable {
  'metadata-location': string;
  metadata: Metadata;
}

/** Speaks the Iceberg REST protocol over fetch (keep-alive sockets), as an engine's catalog client does. */
export class RestCatalogClient {
  private readonly url: string;
  private readonly token: string;
  private readonly prefix: string;

  constructor(url: string, token: string, prefix: string) {
    this.url = url;
    this.token = token;
    this.prefix = prefix;
  }

  private tablePath(namespace: readonly string[], name = ''): string {
    const levels = namespace.map(encodeURIComponent).join(NAMESPACE_SEPARATOR);
    return `${this.url}/v1/${this.prefix}/namespaces/${levels}/tables${name ? `/${encodeURIComponent(name)}` : ''}`;
  }

  private async send(method: string, url: string, body?: object): Promise<{ status: number; text: string }> {
    const res = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, text: await res.text() };
  }

  private async expect(status: number, method: string, url: string, body?: object): Promise<string> {
    const res = await this.send(method, url, body);
    if (res.status !== status)
      throw new Error(`${method} ${url} answered ${res.status}: ${res.text.slice(0, 500)}`);
    return res.text;
  }

  async createNamespace(namespace: readonly string[]): Promise<void> {
    await this.expect(200, 'POST', `${this.url}/v1/${this.prefix}/namespaces`, { namespace, properties: {} });
  }

  async createTable(namespace: readonly string[], name: string): Promise<LoadedTable> {
    const text = await this.expect(200, 'POST', this.tablePath(namespace), {
      name,
      schema: {
        type: 'struct',
        fields: [
          { id: 1, name: 'asset_id', required: true, type: 'string' },
          { id: 2, name: 'observed_at', required: true, type: 'timestamptz' },
          { id: 3, name: 'value', required: false, type: 'double' },
        ],
      },
      'partition-spec': {
        fields: [{ 'source-id': 2, 'field-id': 1000, name: 'observed_day', transform: 'day' }],
      },
    });
    return JSON.parse(text) as LoadedTable;
  }

  /** The load response's body as the client receives it (not parsed), for timing. */
  loadText(namespace: readonly string[], name: string, query = ''): Promise<string> {
    return this.expect(200, 'GET', `${this.tablePath(namespace, name)}${query}`);
  }

  async load(namespace: readonly string[], name: string): Promise<LoadedTable> {
    return JSON.parse(await this.loadText(namespace, name)) as LoadedTable;
  }

  /** A writer of one table: appends a snapshot per commit, reloading and retrying when it loses a race. */
  writer(namespace: readonly string[], name: string, start: LoadedTable) {
    let table = start;
    return async (): Promise<number> => {
      for (let retries = 0; ; retries++) {
        const res = await this.send(
          'POST',
          this.tablePath(namespace, name),
          appendCommit(table.metadata, nextSnapshot(table.metadata)),
        );
        if (res.status === 200) {
          table = JSON.parse(res.text) as LoadedTable;
          return retries;
        }
        if (res.status !== 409) throw new Error(`commit answered ${res.status}: ${res.text.slice(0, 500)}`);
        table = await this.load(namespace, name);
      }
    };
  }
}
