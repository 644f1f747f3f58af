// Helpers for tests that run a throwaway Iceberg catalog against the shared warehouse bucket.
import { RestCatalog } from './catalog/rest-catalog.ts';
import { ObjectStore, type S3Settings } from './storage/object-store.ts';

interface Listing {
  namespaces?: string[][];
  identifiers?: { namespace: string[]; name: string }[];
}

/**
 * Deletes the files of every table a (throwaway) catalog knows, by table location: the warehouse
 * bucket is shared, and a tenant prefix may hold other catalogs' tables too. Walks two namespace
 * levels (`<tenant>.<namespace>`), which is where OpenFoundry keeps tables.
 */
export async function deleteCatalogTableFiles(options: {
  /** The catalog's base URL, without /v1. */
  url: string;
  token: string;
  warehouse?: string;
  s3: S3Settings;
}): Promise<void> {
  const warehouse = options.warehouse ?? 'warehouse';
  const catalog = new RestCatalog({ uri: options.url, token: options.token, warehouse });
  const store = ObjectStore.fromSettings(options.s3);
  const get = async (path: string) =>
    (await (
      await fetch(`${options.url}/v1/${warehouse}${path}`, {
        headers: { authorization: `Bearer ${options.token}` },
      })
    ).json()) as Listing;
  try {
    for (const [root] of (await get('/namespaces')).namespaces ?? []) {
      const children = (await get(`/namespaces?parent=${encodeURIComponent(root ?? '')}`)).namespaces ?? [];
      for (const namespace of children) {
        const tables =
          (await get(`/namespaces/${encodeURIComponent(namespace.join('\u001f'))}/tables`)).identifiers ?? [];
        for (const table of tables) {
          const loaded = await catalog.loadTable(table);
          const paths: string[] = [];
          for await (const object of store.list(`${loaded.metadata.location.replace(/\/+$/, '')}/`))
            paths.push(object.path);
          await store.delete(paths);
        }
      }
    }
  } finally {
    store.destroy();
  }
}
