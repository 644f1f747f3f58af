import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { cachePaths, type PlatformConfig } from '../config.ts';
import { InfraError } from '../errors.ts';
import { extractFromZip, pipDownload } from '../install.ts';
import { DUCKDB_EXTENSIONS, DUCKDB_VERSION } from '../versions.ts';
import type { Component, Context, Status } from './server.ts';

const PLATFORM = 'linux_amd64';

/** Where DuckDB looks for `LOAD name` given `SET extension_directory = <dir>`. */
export function extensionFile(extensionDir: string, name: string, version = DUCKDB_VERSION): string {
  return join(extensionDir, `v${version}`, PLATFORM, `${name}.duckdb_extension`);
}

/** PyPI names the official signed extension builds duckdb-extension-<name with dashes>. */
export const pypiPackage = (name: string) => `duckdb-extension-${name.replaceAll('_', '-')}`;

const missingExtensions = (config: PlatformConfig) =>
  DUCKDB_EXTENSIONS.filter((name) => !existsSync(extensionFile(cachePaths(config).duckdbExtensions, name)));

/** Opens an in-memory DuckDB with signature checks on (the default) and loads every platform extension. */
export async function loadExtensions(config: PlatformConfig): Promise<{ version: string; loaded: string[] }> {
  const instance = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false' });
  const connection = await instance.connect();
  try {
    const dir = cachePaths(config).duckdbExtensions.replaceAll("'", "''");
    await connection.run(`SET extension_directory = '${dir}'`);
    for (const name of DUCKDB_EXTENSIONS) await connection.run(`LOAD ${name}`);
    const version = String((await connection.runAndReadAll('SELECT version()')).getRows()[0]?.[0]);
    const loaded = (
      await connection.runAndReadAll('SELECT extension_name FROM duckdb_extensions() WHERE loaded ORDER BY 1')
    )
      .getRows()
      .map((row) => String(row[0]));
    return { version, loaded };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

export const duckdb: Component = {
  name: 'duckdb',
  async install(ctx: Context) {
    const missing = missingExtensions(ctx.config);
    if (missing.length === 0) return;
    const { duckdbWheels, duckdbExtensions } = cachePaths(ctx.config);
    await pipDownload(
      missing.map((name) => `${pypiPackage(name)}==${DUCKDB_VERSION}`),
      duckdbWheels,
      ctx.log,
    );
    const target = join(duckdbExtensions, `v${DUCKDB_VERSION}`, PLATFORM);
    for (const name of missing) {
      const prefix = `${pypiPackage(name).replaceAll('-', '_')}-${DUCKDB_VERSION}-`;
      const wheel = readdirSync(duckdbWheels).find((f) => f.startsWith(prefix) && f.endsWith('.whl'));
      if (!wheel)
        throw new InfraError(`PyPI download of ${pypiPackage(name)}==${DUCKDB_VERSION} left no wheel`);
      await extractFromZip(join(duckdbWheels, wheel), `${name}.duckdb_extension`, target);
    }
  },
  async start(ctx) {
    const { version } = await loadExtensions(ctx.config);
    if (version !== `v${DUCKDB_VERSION}`) {
      throw new InfraError(
        `@duckdb/node-api is DuckDB ${version}, but the extensions are for v${DUCKDB_VERSION}`,
      );
    }
    return 'verified';
  },
  async stop() {},
  async status(ctx): Promise<Status> {
    const endpoint = `${cachePaths(ctx.config).duckdbExtensions}`;
    const missing = missingExtensions(ctx.config);
    if (missing.length > 0) {
      return {
        name: 'duckdb',
        version: `v${DUCKDB_VERSION}`,
        endpoint,
        health: 'missing',
        detail: `missing ${missing.join(', ')}`,
      };
    }
    try {
      const { version, loaded } = await loadExtensions(ctx.config);
      const ours = DUCKDB_EXTENSIONS.filter((name) => loaded.includes(name));
      return { name: 'duckdb', version, endpoint, health: 'installed', detail: `loaded ${ours.join(', ')}` };
    } catch (error) {
      return {
        name: 'duckdb',
        version: `v${DUCKDB_VERSION}`,
        endpoint,
        health: 'unhealthy',
        detail: (error as Error).message.split('\n')[0],
      };
    }
  },
};
