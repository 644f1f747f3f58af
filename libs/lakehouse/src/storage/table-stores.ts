import type { LoadedTable } from '../catalog/rest-catalog.ts';
import { ObjectStore } from './object-store.ts';

/**
 * The object store of each table: a given one, or one made from the S3 settings the catalog
 * returns with the table (so a catalog URI and a token are all a writer needs).
 */
export class TableStores {
  private readonly byEndpoint = new Map<string, ObjectStore>();

  constructor(private readonly fixed?: ObjectStore) {}

  forTable(table: LoadedTable): ObjectStore {
    if (this.fixed) return this.fixed;
    const settings = ObjectStore.settingsFromTableConfig(table.config);
    if (!settings)
      throw new Error(
        `the catalog returned no S3 settings for ${table.identifier.name}: give the writer an ObjectStore`,
      );
    const key = `${settings.endpoint}\u0000${settings.accessKeyId}`;
    let store = this.byEndpoint.get(key);
    if (!store) {
      store = ObjectStore.fromSettings(settings);
      this.byEndpoint.set(key, store);
    }
    return store;
  }

  /** Releases the stores this object made; a given one belongs to the caller. */
  close(): void {
    for (const store of this.byEndpoint.values()) store.destroy();
    this.byEndpoint.clear();
  }
}
