import { randomUUID } from 'node:crypto';
import type { Long } from '../json.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { toBinary } from './iceberg-types.ts';
import {
  decodeManifest,
  decodeManifestList,
  EntryStatus,
  encodeManifests,
  type FieldSummary,
  FileContent,
  type ManifestEntry,
  type ManifestFile,
} from './manifest.ts';
import { partitionColumns, partitionFieldTypes } from './partitioning.ts';
import {
  type PartitionSpec,
  type Schema,
  type Snapshot,
  specById,
  type TableMetadata,
} from './table-metadata.ts';

/** A manifest written for a snapshot not committed yet: its list entry lacks what the commit decides. */
export type NewManifest = Omit<
  ManifestFile,
  'sequence_number' | 'min_sequence_number' | 'added_snapshot_id'
> & {
  /** The smallest data sequence number of its live entries, when some come from earlier snapshots. */
  min_sequence_number?: Long;
};

/** A live or removed file with the manifest that lists it. */
export interface TrackedFile {
  manifest: ManifestFile;
  entry: ManifestEntry;
}

export async function readManifestList(store: ObjectStore, snapshot: Snapshot): Promise<ManifestFile[]> {
  return decodeManifestList(await store.read(snapshot['manifest-list']));
}

export async function readManifestEntries(
  store: ObjectStore,
  manifest: ManifestFile,
): Promise<ManifestEntry[]> {
  return decodeManifest(await store.read(manifest.manifest_path), manifest);
}

/** The data files a snapshot reads, each with its manifest. */
export async function liveDataFiles(
  store: ObjectStore,
  snapshot: Snapshot | undefined,
): Promise<TrackedFile[]> {
  if (!snapshot) return [];
  const files: TrackedFile[] = [];
  for (const manifest of await readManifestList(store, snapshot)) {
    if (manifest.content !== FileContent.Data) continue;
    for (const entry of await readManifestEntries(store, manifest))
      if (entry.status !== EntryStatus.Deleted) files.push({ manifest, entry });
  }
  return files;
}

/**
 * Writes data manifests for the spec their entries were partitioned by: one, or with a target
 * size as many of about that size as the entries need, in their order (entries sorted by
 * partition give manifests covering narrow ranges). Entries added by the snapshot being made
 * leave snapshot id and sequence numbers null so a manifest survives a retried commit unchanged
 * (the manifest list supplies them).
 */
export async function writeManifests(
  store: ObjectStore,
  metadata: TableMetadata,
  schema: Schema,
  specId: number,
  entries: readonly ManifestEntry[],
  directory: string,
  targetBytes = Number.POSITIVE_INFINITY,
): Promise<NewManifest[]> {
  const spec = specById(metadata, specId);
  const context = { schema, spec, partitionTypes: partitionFieldTypes(partitionColumns(spec, schema)) };
  const written: NewManifest[] = [];
  try {
    for (const part of encodeManifests(context, entries, targetBytes)) {
      const path = `${directory}/${randomUUID()}-m0.avro`;
      await store.create(path, part.bytes);
      written.push(listEntry(path, part.bytes.length, spec, schema, part.entries));
    }
  } catch (error) {
    await store.delete(written.map((m) => m.manifest_path)).catch(() => undefined);
    throw error;
  }
  return written;
}

function listEntry(
  path: string,
  length: number,
  spec: PartitionSpec,
  schema: Schema,
  entries: readonly ManifestEntry[],
): NewManifest {
  const count = (status: EntryStatus) => entries.filter((e) => e.status === status);
  const rows = (list: ManifestEntry[]) => list.reduce((sum, e) => sum + BigInt(e.data_file.record_count), 0n);
  const existing = count(EntryStatus.Existing);
  const minExisting = existing.reduce<bigint | undefined>((min, e) => {
    const seq = e.sequence_number === null ? undefined : BigInt(e.sequence_number);
    return seq !== undefined && (min === undefined || seq < min) ? seq : min;
  }, undefined);
  return {
    manifest_path: path,
    manifest_length: length,
    partition_spec_id: spec['spec-id'],
    content: FileContent.Data,
    added_files_count: count(EntryStatus.Added).length,
    existing_files_count: existing.length,
    deleted_files_count: count(EntryStatus.Deleted).length,
    added_rows_count: rows(count(EntryStatus.Added)),
    existing_rows_count: rows(existing),
    deleted_rows_count: rows(count(EntryStatus.Deleted)),
    partitions: fieldSummaries(spec, schema, entries),
    key_metadata: null,
    ...(minExisting === undefined ? {} : { min_sequence_number: minExisting }),
  };
}

function fieldSummaries(
  spec: PartitionSpec,
  schema: Schema,
  entries: readonly ManifestEntry[],
): FieldSummary[] {
  return partitionColumns(spec, schema).map((column) => {
    const values = entries.map((e) => e.data_file.partition[column.field.name]);
    const present = values.filter((v) => v !== null && v !== undefined);
    const isNan = (v: unknown) => typeof v === 'number' && Number.isNaN(v);
    const ordered = present
      .filter((v) => !isNan(v))
      .map((v) => ({ v, bytes: toBinary(column.resultType, v) }))
      .sort((a, b) => compareValues(column.resultType, a.v, b.v, a.bytes, b.bytes));
    return {
      contains_null: present.length < values.length,
      contains_nan: present.some(isNan),
      lower_bound: ordered[0]?.bytes ?? null,
      upper_bound: ordered.at(-1)?.bytes ?? null,
    };
  });
}

/** Numbers compare as numbers; strings, binaries and uuids by their unsigned bytes, as the spec orders them. */
function compareValues(
  type: unknown,
  a: unknown,
  b: unknown,
  aBytes: Uint8Array,
  bBytes: Uint8Array,
): number {
  if (typeof a === 'number' || typeof a === 'bigint')
    return a < (b as bigint) ? -1 : a > (b as bigint) ? 1 : 0;
  if (typeof a === 'boolean') return Number(a) - Number(b);
  if (typeof type === 'string' && type.startsWith('decimal'))
    return BigInt(a as bigint) < BigInt(b as bigint) ? -1 : 1;
  return Buffer.compare(aBytes, bBytes);
}
