import type { LoadedTable } from '../catalog/rest-catalog.ts';
import { EntryStatus, type ManifestFile } from '../iceberg/manifest.ts';
import { readManifestEntries, readManifestList } from '../iceberg/manifest-io.ts';
import type { Snapshot } from '../iceberg/table-metadata.ts';
import { normalizeS3Path, type ObjectStore } from '../storage/object-store.ts';

/**
 * Every file the given snapshots reference: manifest lists, manifests, and data and delete files
 * whatever their entry status (a file a snapshot marks deleted is still read by its parent).
 * A file that cannot be read fails the walk: a partial answer would make live files look orphaned.
 */
export class ReachableFiles {
  private readonly manifestsOfList = new Map<string, ManifestFile[]>();
  private readonly filesOfManifest = new Map<string, { path: string; live: boolean }[]>();

  constructor(private readonly store: ObjectStore) {}

  /**
   * With `liveOnly`, files the snapshots mark deleted are left out: what readers of exactly these
   * snapshots open, which is what expiring the others may not delete.
   */
  async ofSnapshots(
    snapshots: readonly Snapshot[],
    options: { liveOnly?: boolean } = {},
  ): Promise<Set<string>> {
    const paths = new Set<string>();
    for (const snapshot of snapshots) {
      paths.add(normalizeS3Path(snapshot['manifest-list']));
      let manifests = this.manifestsOfList.get(snapshot['manifest-list']);
      if (!manifests) {
        manifests = await readManifestList(this.store, snapshot);
        this.manifestsOfList.set(snapshot['manifest-list'], manifests);
      }
      for (const manifest of manifests) {
        paths.add(normalizeS3Path(manifest.manifest_path));
        let files = this.filesOfManifest.get(manifest.manifest_path);
        if (!files) {
          files = (await readManifestEntries(this.store, manifest)).map((e) => ({
            path: normalizeS3Path(e.data_file.file_path),
            live: e.status !== EntryStatus.Deleted,
          }));
          this.filesOfManifest.set(manifest.manifest_path, files);
        }
        for (const file of files) if (file.live || !options.liveOnly) paths.add(file.path);
      }
    }
    return paths;
  }

  /** The table's metadata files (current and logged), statistics files, and all its snapshots reach. */
  async ofTable(table: LoadedTable, options: { liveOnly?: boolean } = {}): Promise<Set<string>> {
    const metadata = table.metadata;
    const paths = await this.ofSnapshots(metadata.snapshots ?? [], options);
    for (const path of [
      table.metadataLocation,
      ...(metadata['metadata-log'] ?? []).map((entry) => entry['metadata-file']),
      ...(metadata.statistics ?? []).map((s) => s['statistics-path']),
      ...(metadata['partition-statistics'] ?? []).map((s) => s['statistics-path']),
    ])
      paths.add(normalizeS3Path(path));
    return paths;
  }
}
