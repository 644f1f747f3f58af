import type { Long } from '../json.ts';

/** Iceberg table metadata (format version 2) as the REST catalog returns it; only what this library reads. */
export type PrimitiveType = string;

export interface StructType {
  type: 'struct';
  fields: NestedField[];
}

export interface ListType {
  type: 'list';
  'element-id': number;
  element: IcebergType;
  'element-required': boolean;
}

export interface MapType {
  type: 'map';
  'key-id': number;
  key: IcebergType;
  'value-id': number;
  value: IcebergType;
  'value-required': boolean;
}

export type IcebergType = PrimitiveType | StructType | ListType | MapType;

export interface NestedField {
  id: number;
  name: string;
  required: boolean;
  type: IcebergType;
  doc?: string;
}

export interface Schema extends StructType {
  'schema-id': number;
  'identifier-field-ids'?: number[];
}

export interface PartitionField {
  'source-id': number;
  'field-id': number;
  name: string;
  transform: string;
}

export interface PartitionSpec {
  'spec-id': number;
  fields: PartitionField[];
}

export interface Snapshot {
  'snapshot-id': Long;
  'parent-snapshot-id'?: Long | null;
  'sequence-number'?: Long;
  'timestamp-ms': number;
  'manifest-list': string;
  summary: Record<string, string> & { operation: string };
  'schema-id'?: number;
}

export interface SnapshotRef {
  'snapshot-id': Long;
  type: 'branch' | 'tag';
  'max-ref-age-ms'?: number;
  'max-snapshot-age-ms'?: number;
  'min-snapshots-to-keep'?: number;
}

export interface TableMetadata {
  'format-version': number;
  'table-uuid': string;
  location: string;
  'last-sequence-number'?: Long;
  'last-updated-ms': number;
  'last-column-id': number;
  schemas: Schema[];
  'current-schema-id': number;
  'partition-specs': PartitionSpec[];
  'default-spec-id': number;
  'last-partition-id': number;
  properties?: Record<string, string>;
  'current-snapshot-id'?: Long | null;
  snapshots?: Snapshot[];
  'snapshot-log'?: { 'snapshot-id': Long; 'timestamp-ms': number }[];
  'metadata-log'?: { 'metadata-file': string; 'timestamp-ms': number }[];
  refs?: Record<string, SnapshotRef>;
  statistics?: { 'statistics-path': string }[];
  'partition-statistics'?: { 'statistics-path': string }[];
}

export const MAIN_BRANCH = 'main';

export function currentSchema(metadata: TableMetadata): Schema {
  const schema = metadata.schemas.find((s) => s['schema-id'] === metadata['current-schema-id']);
  if (!schema) throw new Error(`table metadata has no schema ${metadata['current-schema-id']}`);
  return schema;
}

export function defaultSpec(metadata: TableMetadata): PartitionSpec {
  return specById(metadata, metadata['default-spec-id']);
}

export function specById(metadata: TableMetadata, specId: number): PartitionSpec {
  const spec = metadata['partition-specs'].find((s) => s['spec-id'] === specId);
  if (!spec) throw new Error(`table metadata has no partition spec ${specId}`);
  return spec;
}

/** The snapshot the main branch points at, if the table has one. */
export function mainSnapshot(metadata: TableMetadata): Snapshot | undefined {
  const id = metadata.refs?.[MAIN_BRANCH]?.['snapshot-id'] ?? metadata['current-snapshot-id'];
  return id === undefined || id === null || BigInt(id) === -1n ? undefined : snapshotById(metadata, id);
}

/**
 * How many appends the main branch has had since its last rewrite (a compaction's `replace`
 * snapshot), counted back through the parents the table still keeps: the small files waiting for
 * maintenance, whoever wrote them.
 */
export function appendsSinceReplace(metadata: TableMetadata): number {
  let appends = 0;
  for (const snapshot of mainHistory(metadata)) {
    if (snapshot.summary.operation === 'replace') break;
    if (snapshot.summary.operation === 'append') appends++;
  }
  return appends;
}

/** Main's head, then its parent, and so on, as far back as the table still keeps them. */
export function* mainHistory(metadata: TableMetadata): Generator<Snapshot> {
  const byId = new Map((metadata.snapshots ?? []).map((s) => [BigInt(s['snapshot-id']), s]));
  let snapshot = mainSnapshot(metadata);
  while (snapshot) {
    yield snapshot;
    const parent = snapshot['parent-snapshot-id'];
    snapshot = parent === undefined || parent === null ? undefined : byId.get(BigInt(parent));
  }
}

export function snapshotById(metadata: TableMetadata, id: Long): Snapshot | undefined {
  return metadata.snapshots?.find((s) => BigInt(s['snapshot-id']) === BigInt(id));
}

/** Where new data and metadata files go, honouring the table's write.*.path properties. */
export function dataLocation(metadata: TableMetadata): string {
  return trimSlash(metadata.properties?.['write.data.path'] ?? `${trimSlash(metadata.location)}/data`);
}

export function metadataLocation(metadata: TableMetadata): string {
  return trimSlash(
    metadata.properties?.['write.metadata.path'] ?? `${trimSlash(metadata.location)}/metadata`,
  );
}

function trimSlash(path: string): string {
  return path.replace(/\/+$/, '');
}
