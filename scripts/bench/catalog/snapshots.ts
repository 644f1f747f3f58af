import { randomInt, randomUUID } from 'node:crypto';

/** The parts of an Iceberg table metadata file a writer reads or extends (numbers stay below 2^53 here). */
export interface Metadata {
  location: string;
  'last-sequence-number': number;
  'last-updated-ms': number;
  'current-schema-id': number;
  'current-snapshot-id'?: number;
  refs: Record<string, { 'snapshot-id': number; type: string }>;
  snapshots: Snapshot[];
  'snapshot-log': { 'snapshot-id': number; 'timestamp-ms': number }[];
  'metadata-log': { 'metadata-file': string; 'timestamp-ms': number }[];
  [other: string]: unknown;
}

export interface Snapshot {
  'snapshot-id': number;
  'parent-snapshot-id'?: number;
  'sequence-number': number;
  'timestamp-ms': number;
  'manifest-list': string;
  summary: Record<string, string>;
  'schema-id': number;
}

/** What the catalog keeps in `metadata-log` unless `write.metadata.previous-versions-max` says otherwise. */
const PREVIOUS_VERSIONS_MAX = 100;

export function mainSnapshotId(metadata: Metadata): number | null {
  return metadata.refs.main?.['snapshot-id'] ?? null;
}

/**
 * The snapshot a sink's fast append adds: one data file of 1,000 rows in one partition, listed by a
 * manifest list the catalog never opens on commit (it only checks ids, sequence numbers and refs).
 */
export function nextSnapshot(metadata: Metadata): Snapshot {
  const id = randomInt(1, 2 ** 48 - 1);
  const parent = mainSnapshotId(metadata);
  const sequence = metadata['last-sequence-number'] + 1;
  return {
    'snapshot-id': id,
    ...(parent === null ? {} : { 'parent-snapshot-id': parent }),
    'sequence-number': sequence,
    'timestamp-ms': Date.now(),
    'manifest-list': `${metadata.location}/metadata/snap-${id}-1-${randomUUID()}.avro`,
    summary: {
      operation: 'append',
      'added-data-files': '1',
      'added-records': '1000',
      'added-files-size': '65536',
      'changed-partition-count': '1',
      'total-records': String(sequence * 1000),
      'total-files-size': String(sequence * 65536),
      'total-data-files': String(sequence),
      'total-delete-files': '0',
      'total-position-deletes': '0',
      'total-equality-deletes': '0',
    },
    'schema-id': metadata['current-schema-id'],
  };
}

/** The REST commit that appends `snapshot` to main, asserting main has not moved since `metadata`. */
export function appendCommit(metadata: Metadata, snapshot: Snapshot): object {
  return {
    requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': mainSnapshotId(metadata) }],
    updates: [
      { action: 'add-snapshot', snapshot },
      {
        action: 'set-snapshot-ref',
        'ref-name': 'main',
        type: 'branch',
        'snapshot-id': snapshot['snapshot-id'],
      },
    ],
  };
}

/** The same append done by hand, as the catalog applies it: what a client without a catalog would write. */
export function appendLocally(metadata: Metadata, snapshot: Snapshot, previousLocation: string): void {
  metadata.snapshots.push(snapshot);
  metadata['snapshot-log'].push({
    'snapshot-id': snapshot['snapshot-id'],
    'timestamp-ms': snapshot['timestamp-ms'],
  });
  metadata['metadata-log'] = [
    ...metadata['metadata-log'],
    { 'metadata-file': previousLocation, 'timestamp-ms': metadata['last-updated-ms'] },
  ].slice(-PREVIOUS_VERSIONS_MAX);
  metadata.refs.main = { 'snapshot-id': snapshot['snapshot-id'], type: 'branch' };
  metadata['current-snapshot-id'] = snapshot['snapshot-id'];
  metadata['last-sequence-number'] = snapshot['sequence-number'];
  metadata['last-updated-ms'] = snapshot['timestamp-ms'];
}

/** `<location>/metadata/<NNNNN>-<uuid>.metadata.json`, one version above `previous` (ADR 0012). */
export function nextMetadataLocation(location: string, previous: string): string {
  const version = Number(/\/(\d+)-[^/]*\.metadata\.json$/.exec(previous)?.[1] ?? -1) + 1;
  return `${location}/metadata/${String(version).padStart(5, '0')}-${randomUUID()}.metadata.json`;
}
