import { afterAll, describe, expect, it } from 'vitest';
import { DuckDBBackend } from '../src/index.ts';
import { platformPostgres } from './support.ts';

const principal = { user: 'operator', catalogs: ['duckdb'] };
const { extensionDirectory } = platformPostgres();
let backend: DuckDBBackend | undefined;

afterAll(async () => {
  await backend?.close();
});

describe('extensions loaded at start', () => {
  it('makes a loaded extension usable although the engine loads nothing later', async () => {
    backend = await DuckDBBackend.create({ extensionDirectory, extensions: ['tpch'] });
    await backend.update('CALL dbgen(sf = 0.001)', { principal });
    const [row] = await backend.metadata('SELECT count(*)::integer AS n FROM duckdb.main.region');
    expect(row).toEqual({ n: 5 });
    // Anything not loaded at start stays out of reach.
    await expect(backend.update("SELECT * FROM read_parquet('x.parquet')", { principal })).rejects.toThrow();
  });

  it('refuses something that is not an extension name before starting', async () => {
    await expect(
      DuckDBBackend.create({ extensionDirectory, extensions: ['tpch; attach x'] }),
    ).rejects.toThrow(/not an extension name/);
  });
});
