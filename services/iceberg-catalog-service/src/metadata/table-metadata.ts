import type { Long } from '../json/lossless-json.ts';

/** A field type: a primitive name (`long`, `decimal(9,2)`, …) or a nested struct, list or map. */
export type IcebergType = string | StructType | ListType | MapType;

export interface NestedField {
  id: number;
  name: string;
  required: boolean;
  type: IcebergType;
  doc?: string;
  [extra: string]: unknown;
}

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

export interface Schema extends StructType {
  'schema-id': number;
  'identifier-field-ids'?: number[];
}

export interface PartitionField {
  'source-id': number;
  'field-id': number;
  name: string;
  transform: string;
  [extra: string]: unknown;
}

export interface PartitionSpec {
  'spec-id': number;
  fields: PartitionField[];
}

export interface SortField {
  'source-id': number;
  transform: string;
  direction: 'asc' | 'desc';
  'null-order': 'nulls-first' | 'nulls-last';
  [extra: string]: unknown;
}

export interface SortOrder {
  'order-id': number;
  fields: SortField[];
}

export interface Snapshot {
  'snapshot-id': Long;
  'parent-snapshot-id'?: Long | null;
  'sequence-number'?: Long;
  'timestamp-ms': number;
  'manifest-list'?: string;
  summary: { operation: string; [key: string]: string };
  'schema-id'?: number;
  [extra: string]: unknown;
}

export interface SnapshotRef {
  'snapshot-id': Long;
  type: 'branch' | 'tag';
  'max-ref-age-ms'?: number;
  'max-snapshot-age-ms'?: number;
  'min-snapshots-to-keep'?: number;
}

export interface StatisticsFile {
  'snapshot-id': Long;
  'statistics-path': string;
  [extra: string]: unknown;
}

export interface PartitionStatisticsFile {
  'snapshot-id': Long;
  'statistics-path': string;
  'file-size-in-bytes': number;
}

/** Table metadata, format version 2 (the JSON file a metadata location points at). */
export interface TableMetadata {
  'format-version': number;
  'table-uuid': string;
  location: string;
  'last-sequence-number': Long;
  'last-updated-ms': number;
  'last-column-id': number;
  'current-schema-id': number;
  schemas: Schema[];
  'default-spec-id': number;
  'partition-specs': PartitionSpec[];
  'last-partition-id': number;
  'default-sort-order-id': number;
  'sort-orders': SortOrder[];
  properties: Record<string, string>;
  /** -1 when the table has no snapshot, as the Java writer does; readers treat -1 and absence alike. */
  'current-snapshot-id': Long;
  refs: Record<string, SnapshotRef>;
  snapshots: Snapshot[];
  statistics: StatisticsFile[];
  'partition-statistics': PartitionStatisticsFile[];
  'snapshot-log': { 'snapshot-id': Long; 'timestamp-ms': number }[];
  'metadata-log': { 'metadata-file': string; 'timestamp-ms': number }[];
  [extra: string]: unknown;
}

export const MAIN_BRANCH = 'main';
/** Foundry-style clients call the default branch `master`; it is the same branch as `main`. */
export const MAIN_BRANCH_ALIAS = 'master';
export const NO_SNAPSHOT = -1;
export const UNSORTED_ORDER_ID = 0;
/** Partition field ids start at 1000; an unpartitioned table's last id is one below. */
export const PARTITION_FIELD_ID_START = 1000;
export const SUPPORTED_FORMAT_VERSIONS = [1, 2] as const;
export const DEFAULT_FORMAT_VERSION = 2;
export const PREVIOUS_VERSIONS_MAX_PROPERTY = 'write.metadata.previous-versions-max';
export const DEFAULT_PREVIOUS_VERSIONS_MAX = 100;
/** When `true`, metadata files that fall out of the metadata log are deleted after the commit. */
export const DELETE_AFTER_COMMIT_PROPERTY = 'write.metadata.delete-after-commit.enabled';

export function refName(name: string): string {
  return name === MAIN_BRANCH_ALIAS ? MAIN_BRANCH : name;
}

export function hasSnapshot(id: Long | null | undefined): id is Long {
  return id !== null && id !== undefined && BigInt(id) !== -1n;
}

/** The metadata as a client may see it with `snapshots=refs`: only the snapshots a branch or tag points at. */
export function withReferencedSnapshotsOnly(metadata: TableMetadata): TableMetadata {
  const referenced = new Set(Object.values(metadata.refs).map((ref) => BigInt(ref['snapshot-id'])));
  return {
    ...metadata,
    snapshots: metadata.snapshots.filter((s) => referenced.has(BigInt(s['snapshot-id']))),
  };
}

/** `<location>/metadata/<version>-<uuid>.metadata.json`, the name the table spec gives metadata files. */
export function metadataFileName(location: string, version: number, uuid: string): string {
  return `${location.replace(/\/+$/, '')}/metadata/${String(version).padStart(5, '0')}-${uuid}.metadata.json`;
}

/** The version number in a metadata file name, or -1 when the name does not follow the spec. */
export function metadataVersion(metadataLocation: string): number {
  const match = /\/(\d+)-[^/]*\.metadata\.json$/.exec(metadataLocation);
  return match ? Number(match[1]) : -1;
}
