import type { LoadedTable } from '../catalog/rest-catalog.ts';
import {
  EntryStatus,
  encodeManifests,
  FileContent,
  type ManifestEntry,
  type ManifestFile,
} from '../iceberg/manifest.ts';
import {
  type NewManifest,
  readManifestEntries,
  readManifestList,
  writeManifests,
} from '../iceberg/manifest-io.ts';
import { partitionColumns, partitionFieldTypes } from '../iceberg/partitioning.ts';
import {
  currentSchema,
  metadataLocation,
  type Snapshot,
  specById,
  type TableMetadata,
} from '../iceberg/table-metadata.ts';
import type { ObjectStore } from '../storage/object-store.ts';

/** Iceberg's default for `commit.manifest.target-size-bytes`. */
export const DEFAULT_MANIFEST_TARGET_BYTES = 8 * 1024 * 1024;

/**
 * Our writers' default for `commit.manifest.min-count-to-merge` (ADR 0028). Iceberg's Java writers
 * use 100; ours commit every few seconds, and a query reads every manifest of the snapshot.
 */
export const DEFAULT_MIN_COUNT_TO_MERGE = 10;

/** Live entries kept by a snapshot that rewrites their manifests: existing, with their own snapshot and sequence numbers. */
export function asExisting(entries: readonly SpecEntry[]): SpecEntry[] {
  return entries.map(({ specId, entry }) => ({ specId, entry: { ...entry, status: EntryStatus.Existing } }));
}

/** The summary properties Iceberg's Java writers put on a snapshot that rewrites manifests. */
export function manifestCounts(
  replaced: number,
  created: readonly NewManifest[],
  entries: number,
  kept = 0,
): Record<string, string> {
  return {
    'manifests-created': String(created.length),
    'manifests-kept': String(kept),
    'manifests-replaced': String(replaced),
    'entries-processed': String(entries),
  };
}

/** An entry with the partition spec of the manifest it comes from or goes to. */
export interface SpecEntry {
  specId: number;
  entry: ManifestEntry;
}

/** What a snapshot's manifests hold: its data manifests' live entries, and its delete manifests as they are. */
export interface SnapshotManifests {
  data: ManifestFile[];
  deletes: ManifestFile[];
  live: SpecEntry[];
}

export async function readSnapshotManifests(
  store: ObjectStore,
  snapshot: Snapshot,
): Promise<SnapshotManifests> {
  const manifests = await readManifestList(store, snapshot);
  const data = manifests.filter((m) => m.content === FileContent.Data);
  const live: SpecEntry[] = [];
  for (const manifest of data)
    for (const entry of await readManifestEntries(store, manifest))
      if (entry.status !== EntryStatus.Deleted) live.push({ specId: manifest.partition_spec_id, entry });
  return { data, deletes: manifests.filter((m) => m.content !== FileContent.Data), live };
}

/** The table's `commit.manifest.target-size-bytes`, unless the caller names a size. */
export function manifestTargetBytes(metadata: TableMetadata, override?: number): number {
  if (override !== undefined) return override;
  const property = Number(metadata.properties?.['commit.manifest.target-size-bytes']);
  return Number.isFinite(property) && property > 0 ? property : DEFAULT_MANIFEST_TARGET_BYTES;
}

/**
 * Writes the entries as one manifest per partition spec, cut by the target size, each sorted by
 * partition so a split manifest covers a narrow partition range a scan can skip by its summary.
 */
export async function writeMergedManifests(
  store: ObjectStore,
  table: LoadedTable,
  entries: readonly SpecEntry[],
  targetBytes: number,
): Promise<NewManifest[]> {
  const schema = currentSchema(table.metadata);
  const written: NewManifest[] = [];
  try {
    for (const [specId, group] of bySpec(entries))
      written.push(
        ...(await writeManifests(
          store,
          table.metadata,
          schema,
          specId,
          group,
          metadataLocation(table.metadata),
          targetBytes,
        )),
      );
  } catch (error) {
    await store.delete(written.map((m) => m.manifest_path)).catch(() => undefined);
    throw error;
  }
  return written;
}

/** How many manifests `writeMergedManifests` would write for these entries, without writing any. */
export function mergedManifestCount(
  table: LoadedTable,
  entries: readonly SpecEntry[],
  targetBytes: number,
): number {
  const schema = currentSchema(table.metadata);
  let count = 0;
  for (const [specId, group] of bySpec(entries)) {
    const spec = specById(table.metadata, specId);
    const context = { schema, spec, partitionTypes: partitionFieldTypes(partitionColumns(spec, schema)) };
    count += encodeManifests(context, group, targetBytes).length;
  }
  return count;
}

/** A partition value as a key, with the spec it belongs to (equal values under two specs differ). */
export function partitionKey(specId: number, partition: Record<string, unknown>): string {
  return `${specId}:${JSON.stringify(partition, (_key, value: unknown) =>
    typeof value === 'bigint'
      ? value.toString()
      : value instanceof Uint8Array
        ? Buffer.from(value).toString('hex')
        : value,
  )}`;
}

function bySpec(entries: readonly SpecEntry[]): Map<number, ManifestEntry[]> {
  const sorted = entries
    .map((e) => ({ ...e, key: partitionKey(e.specId, e.entry.data_file.partition) }))
    .sort((a, b) =>
      a.key < b.key
        ? -1
        : a.key > b.key
          ? 1
          : a.entry.data_file.file_path < b.entry.data_file.file_path
            ? -1
            : 1,
    );
  const groups = new Map<number, ManifestEntry[]>();
  for (const { specId, entry } of sorted) {
    const group = groups.get(specId);
    if (group) group.push(entry);
    else groups.set(specId, [entry]);
  }
  return groups;
}

/** What an append's snapshot lists once small manifests are merged into the new one (ADR 0028). */
export interface AppendManifests {
  added: NewManifest[];
  kept: ManifestFile[];
  /** Manifests written for this attempt only (removed if the commit loses). */
  attemptFiles: string[];
  /** The manifest counts Iceberg's writers record, when manifests were merged. */
  properties: Record<string, string>;
}

/**
 * Merge-on-append, as Iceberg's Java writers do it: when the parent's small data manifests of the
 * appended spec (under `commit.manifest.target-size-bytes`) and the new one number
 * `commit.manifest.min-count-to-merge` or more, their live entries are written again with the new
 * files as one manifest (more if over the target size), the earlier entries as existing with their
 * own snapshot and sequence numbers. Otherwise the new manifest is added as written. Turned off by
 * `commit.manifest-merge.enabled=false`.
 */
export async function appendManifests(
  store: ObjectStore,
  table: LoadedTable,
  parentManifests: readonly ManifestFile[],
  appended: { manifest: NewManifest; entries: readonly ManifestEntry[] },
): Promise<AppendManifests> {
  const properties = table.metadata.properties ?? {};
  const specId = appended.manifest.partition_spec_id;
  const targetBytes = manifestTargetBytes(table.metadata);
  const minCount = Number(properties['commit.manifest.min-count-to-merge'] ?? DEFAULT_MIN_COUNT_TO_MERGE);
  const small = parentManifests.filter(
    (m) =>
      m.content === FileContent.Data && m.partition_spec_id === specId && m.manifest_length < targetBytes,
  );
  const unmerged = {
    added: [appended.manifest],
    kept: [...parentManifests],
    attemptFiles: [],
    properties: {},
  };
  if (
    properties['commit.manifest-merge.enabled'] === 'false' ||
    !(minCount > 0) ||
    small.length + 1 < minCount
  )
    return unmerged;
  const live: SpecEntry[] = [];
  for (const manifest of small)
    for (const entry of await readManifestEntries(store, manifest))
      if (entry.status !== EntryStatus.Deleted) live.push({ specId, entry });
  const entries = [...asExisting(live), ...appended.entries.map((entry) => ({ specId, entry }))];
  const merged = await writeMergedManifests(store, table, entries, targetBytes);
  const replaced = new Set(small.map((m) => m.manifest_path));
  const kept = parentManifests.filter((m) => !replaced.has(m.manifest_path));
  return {
    added: merged,
    kept,
    attemptFiles: merged.map((m) => m.manifest_path),
    properties: manifestCounts(small.length, merged, entries.length, kept.length),
  };
}
