import { type AvroField, type AvroSchema, nullable } from '../avro/avro-schema.ts';
import { readAvroContainer, writeAvroContainer } from '../avro/object-container.ts';
import { type Long, stringifyLosslessJson } from '../json.ts';
import type { PartitionSpec, Schema } from './table-metadata.ts';

/**
 * Manifests and manifest lists as the Iceberg table spec (format version 2) defines them: Avro
 * files whose schemas carry the spec's field ids. Records use the spec's field names.
 */

export enum EntryStatus {
  Existing = 0,
  Added = 1,
  Deleted = 2,
}

export enum FileContent {
  Data = 0,
  PositionDeletes = 1,
  EqualityDeletes = 2,
}

export interface KeyValue<V> {
  key: number;
  value: V;
}

export interface DataFile {
  content: number;
  file_path: string;
  file_format: string;
  partition: Record<string, unknown>;
  record_count: Long;
  file_size_in_bytes: Long;
  column_sizes?: KeyValue<Long>[] | null;
  value_counts?: KeyValue<Long>[] | null;
  null_value_counts?: KeyValue<Long>[] | null;
  nan_value_counts?: KeyValue<Long>[] | null;
  lower_bounds?: KeyValue<Uint8Array>[] | null;
  upper_bounds?: KeyValue<Uint8Array>[] | null;
  key_metadata?: Uint8Array | null;
  split_offsets?: Long[] | null;
  equality_ids?: number[] | null;
  sort_order_id?: number | null;
}

export interface ManifestEntry {
  status: EntryStatus;
  snapshot_id: Long | null;
  sequence_number: Long | null;
  file_sequence_number: Long | null;
  data_file: DataFile;
}

export interface FieldSummary {
  contains_null: boolean;
  contains_nan?: boolean | null;
  lower_bound?: Uint8Array | null;
  upper_bound?: Uint8Array | null;
}

export interface ManifestFile {
  manifest_path: string;
  manifest_length: Long;
  partition_spec_id: number;
  content: number;
  sequence_number: Long;
  min_sequence_number: Long;
  added_snapshot_id: Long;
  added_files_count: number;
  existing_files_count: number;
  deleted_files_count: number;
  added_rows_count: Long;
  existing_rows_count: Long;
  deleted_rows_count: Long;
  partitions?: FieldSummary[] | null;
  key_metadata?: Uint8Array | null;
}

/** A partition field with the Avro type of its transform's result. */
export interface PartitionFieldType {
  name: string;
  fieldId: number;
  avro: AvroSchema;
}

const field = (name: string, fieldId: number, type: AvroSchema, optional = false): AvroField => ({
  name,
  type: optional ? nullable(type) : type,
  ...(optional ? { default: null } : {}),
  'field-id': fieldId,
});

const intMap = (keyId: number, valueId: number, value: AvroSchema): AvroSchema => ({
  type: 'array',
  logicalType: 'map',
  items: {
    type: 'record',
    name: `k${keyId}_v${valueId}`,
    fields: [field('key', keyId, 'int'), field('value', valueId, value)],
  },
});

const list = (elementId: number, items: AvroSchema): AvroSchema => ({
  type: 'array',
  items,
  'element-id': elementId,
});

export function manifestEntrySchema(partition: readonly PartitionFieldType[]): AvroSchema {
  const dataFile: AvroSchema = {
    type: 'record',
    name: 'r2',
    fields: [
      field('content', 134, 'int'),
      field('file_path', 100, 'string'),
      field('file_format', 101, 'string'),
      field('partition', 102, {
        type: 'record',
        name: 'r102',
        fields: partition.map((p) => field(avroName(p.name), p.fieldId, p.avro, true)),
      }),
      field('record_count', 103, 'long'),
      field('file_size_in_bytes', 104, 'long'),
      field('column_sizes', 108, intMap(117, 118, 'long'), true),
      field('value_counts', 109, intMap(119, 120, 'long'), true),
      field('null_value_counts', 110, intMap(121, 122, 'long'), true),
      field('nan_value_counts', 137, intMap(138, 139, 'long'), true),
      field('lower_bounds', 125, intMap(126, 127, 'bytes'), true),
      field('upper_bounds', 128, intMap(129, 130, 'bytes'), true),
      field('key_metadata', 131, 'bytes', true),
      field('split_offsets', 132, list(133, 'long'), true),
      field('equality_ids', 135, list(136, 'int'), true),
      field('sort_order_id', 140, 'int', true),
    ],
  };
  return {
    type: 'record',
    name: 'manifest_entry',
    fields: [
      field('status', 0, 'int'),
      field('snapshot_id', 1, 'long', true),
      field('sequence_number', 3, 'long', true),
      field('file_sequence_number', 4, 'long', true),
      field('data_file', 2, dataFile),
    ],
  };
}

export const MANIFEST_LIST_SCHEMA: AvroSchema = {
  type: 'record',
  name: 'manifest_file',
  fields: [
    field('manifest_path', 500, 'string'),
    field('manifest_length', 501, 'long'),
    field('partition_spec_id', 502, 'int'),
    field('content', 517, 'int'),
    field('sequence_number', 515, 'long'),
    field('min_sequence_number', 516, 'long'),
    field('added_snapshot_id', 503, 'long'),
    field('added_files_count', 504, 'int'),
    field('existing_files_count', 505, 'int'),
    field('deleted_files_count', 506, 'int'),
    field('added_rows_count', 512, 'long'),
    field('existing_rows_count', 513, 'long'),
    field('deleted_rows_count', 514, 'long'),
    field(
      'partitions',
      507,
      list(508, {
        type: 'record',
        name: 'r508',
        fields: [
          field('contains_null', 509, 'boolean'),
          field('contains_nan', 518, 'boolean', true),
          field('lower_bound', 510, 'bytes', true),
          field('upper_bound', 511, 'bytes', true),
        ],
      }),
      true,
    ),
    field('key_metadata', 519, 'bytes', true),
  ],
};

export interface ManifestContext {
  schema: Schema;
  spec: PartitionSpec;
  partitionTypes: readonly PartitionFieldType[];
}

/**
 * A name Avro accepts (`[A-Za-z_][A-Za-z0-9_]*`), made the way Iceberg readers expect: an invalid
 * character becomes `_x` and its code point in upper-case hex, a leading digit gets a `_` before it.
 */
export function avroName(name: string): string {
  return [...name]
    .map((char, i) => {
      if (/[A-Za-z_]/.test(char) || (i > 0 && /[0-9]/.test(char))) return char;
      return /[0-9]/.test(char)
        ? `_${char}`
        : `_x${(char.codePointAt(0) as number).toString(16).toUpperCase()}`;
    })
    .join('');
}

function renamePartition(entry: ManifestEntry, rename: ReadonlyMap<string, string>): ManifestEntry {
  if (![...rename].some(([from, to]) => from !== to)) return entry;
  const partition = Object.fromEntries(
    Object.entries(entry.data_file.partition).map(([key, value]) => [rename.get(key) ?? key, value]),
  );
  return { ...entry, data_file: { ...entry.data_file, partition } };
}

export function encodeManifest(context: ManifestContext, entries: readonly ManifestEntry[]): Uint8Array {
  const toAvro = new Map(context.partitionTypes.map((p) => [p.name, avroName(p.name)]));
  return writeAvroContainer(
    manifestEntrySchema(context.partitionTypes),
    entries.map((e) => renamePartition(e, toAvro)),
    {
      metadata: {
        schema: stringifyLosslessJson(context.schema),
        'schema-id': String(context.schema['schema-id']),
        'partition-spec': stringifyLosslessJson(context.spec.fields),
        'partition-spec-id': String(context.spec['spec-id']),
        'format-version': '2',
        content: 'data',
      },
    },
  );
}

/**
 * Entries encoded as manifests of at most `targetBytes` each where entries allow (one entry is the
 * smallest unit), in their order: an oversized run is cut into parts of as many entries as fit
 * the target beside the file's header (at their average size), and a part still over it is cut again.
 */
export function encodeManifests(
  context: ManifestContext,
  entries: readonly ManifestEntry[],
  targetBytes: number,
): { entries: ManifestEntry[]; bytes: Uint8Array }[] {
  const bytes = encodeManifest(context, entries);
  if (bytes.length <= targetBytes || entries.length <= 1) return [{ entries: [...entries], bytes }];
  const header = encodeManifest(context, []).length;
  const perEntry = (bytes.length - header) / entries.length;
  const size = Math.max(1, Math.floor((targetBytes - header) / perEntry));
  const encoded: { entries: ManifestEntry[]; bytes: Uint8Array }[] = [];
  for (let start = 0; start < entries.length; start += size)
    encoded.push(...encodeManifests(context, entries.slice(start, start + size), targetBytes));
  return encoded;
}

/**
 * The entries of a manifest with inherited values filled in: entries added by the manifest's
 * snapshot may leave their snapshot id and sequence numbers to the manifest list (v2 inheritance).
 */
export function decodeManifest(bytes: Uint8Array, manifest: ManifestFile): ManifestEntry[] {
  const container = readAvroContainer<ManifestEntry>(bytes);
  const fromAvro = new Map<string, string>();
  const spec = container.metadata['partition-spec'];
  for (const field of spec ? (JSON.parse(spec) as { name: string }[]) : [])
    fromAvro.set(avroName(field.name), field.name);
  return container.records.map((raw) => {
    const entry = renamePartition(raw, fromAvro);
    const inherits = entry.status === EntryStatus.Added;
    return {
      ...entry,
      snapshot_id: entry.snapshot_id ?? manifest.added_snapshot_id,
      sequence_number: entry.sequence_number ?? (inherits ? manifest.sequence_number : null),
      file_sequence_number: entry.file_sequence_number ?? (inherits ? manifest.sequence_number : null),
    };
  });
}

export function encodeManifestList(
  manifests: readonly ManifestFile[],
  snapshot: { snapshotId: Long; parentSnapshotId: Long | null; sequenceNumber: Long },
): Uint8Array {
  return writeAvroContainer(MANIFEST_LIST_SCHEMA, manifests, {
    metadata: {
      'snapshot-id': String(snapshot.snapshotId),
      'parent-snapshot-id': snapshot.parentSnapshotId === null ? 'null' : String(snapshot.parentSnapshotId),
      'sequence-number': String(snapshot.sequenceNumber),
      'format-version': '2',
    },
  });
}

/** A manifest list's entries; fields a v1 writer leaves out get the values v2 readers assume. */
export function decodeManifestList(bytes: Uint8Array): ManifestFile[] {
  return readAvroContainer<Partial<ManifestFile> & { manifest_path: string }>(bytes).records.map((m) => {
    const legacy = m as Record<string, unknown>;
    return {
      ...m,
      manifest_length: m.manifest_length ?? 0,
      partition_spec_id: m.partition_spec_id ?? 0,
      content: m.content ?? FileContent.Data,
      sequence_number: m.sequence_number ?? 0,
      min_sequence_number: m.min_sequence_number ?? 0,
      added_snapshot_id: m.added_snapshot_id ?? 0,
      added_files_count: m.added_files_count ?? (legacy.added_data_files_count as number | undefined) ?? 0,
      existing_files_count:
        m.existing_files_count ?? (legacy.existing_data_files_count as number | undefined) ?? 0,
      deleted_files_count:
        m.deleted_files_count ?? (legacy.deleted_data_files_count as number | undefined) ?? 0,
      added_rows_count: m.added_rows_count ?? 0,
      existing_rows_count: m.existing_rows_count ?? 0,
      deleted_rows_count: m.deleted_rows_count ?? 0,
    };
  });
}
