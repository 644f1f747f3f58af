import { randomUUID } from 'node:crypto';
import type { Long } from '../src/json/lossless-json.ts';
import type { CreateTableRequest, TableUpdate } from '../src/metadata/commit.schema.ts';
import { newTableMetadata } from '../src/metadata/new-table.ts';
import type { Schema, Snapshot, TableMetadata } from '../src/metadata/table-metadata.ts';

export const NOW = 1_790_000_000_000;

export function createTableRequest(overrides: Partial<CreateTableRequest> = {}): CreateTableRequest {
  return {
    name: 'events',
    schema: {
      type: 'struct',
      fields: [
        { id: 1, name: 'id', required: true, type: 'long' },
        { id: 2, name: 'site', required: false, type: 'string' },
      ],
    },
    ...overrides,
  };
}

/** The metadata of a freshly created two-column table (id, site), unpartitioned and unsorted. */
export function tableMetadata(overrides: Partial<CreateTableRequest> = {}): TableMetadata {
  return newTableMetadata({
    request: createTableRequest(overrides),
    uuid: randomUUID(),
    location: 's3://warehouse/acme/db/events-1',
    nowMs: NOW,
  });
}

let nextSnapshotId = 7_393_810_383_728_478_000n;

export function snapshot(overrides: Partial<Snapshot> = {}): Snapshot {
  nextSnapshotId += 1n;
  return {
    'snapshot-id': nextSnapshotId,
    'sequence-number': 1,
    'timestamp-ms': NOW + 1_000,
    'manifest-list': `s3://warehouse/acme/db/events-1/metadata/snap-${nextSnapshotId}.avro`,
    summary: { operation: 'append' },
    'schema-id': 0,
    ...overrides,
  };
}

/** The updates a client sends to append `snap` to a branch (main by default). */
export function appendUpdates(snap: Snapshot, ref = 'main'): TableUpdate[] {
  return [
    { action: 'add-snapshot', snapshot: snap },
    {
      action: 'set-snapshot-ref',
      'ref-name': ref,
      type: 'branch',
      'snapshot-id': snap['snapshot-id'] as Long,
    },
  ];
}

export function schemaWith(fields: Schema['fields'], schemaId = 1): Schema {
  return { type: 'struct', 'schema-id': schemaId, fields };
}
