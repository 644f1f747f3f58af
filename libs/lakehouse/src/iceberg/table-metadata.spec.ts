import { describe, expect, it } from 'vitest';
import { appendsSinceReplace, type Snapshot, type TableMetadata } from './table-metadata.ts';

/** Snapshots 1..n, each the parent of the next, with these operations; main at the last. */
function table(operations: string[], options: { keepFrom?: number; branch?: number } = {}): TableMetadata {
  const snapshots: Snapshot[] = operations.map((operation, i) => ({
    'snapshot-id': i + 1,
    'parent-snapshot-id': i === 0 ? null : i,
    'timestamp-ms': 1_795_000_000_000 + i,
    'manifest-list': `s3://w/t/metadata/snap-${i + 1}.avro`,
    summary: { operation },
  }));
  const main = options.branch ?? operations.length;
  return {
    'format-version': 2,
    'table-uuid': '00000000-0000-4000-8000-000000000000',
    location: 's3://w/t',
    'last-updated-ms': 0,
    'last-column-id': 1,
    schemas: [],
    'current-schema-id': 0,
    'partition-specs': [],
    'default-spec-id': 0,
    'last-partition-id': 999,
    'current-snapshot-id': main,
    snapshots: snapshots.slice((options.keepFrom ?? 1) - 1),
    refs: { main: { 'snapshot-id': main, type: 'branch' } },
  } as TableMetadata;
}

describe(appendsSinceReplace.name, () => {
  it('counts the appends on main back to the last compaction', () => {
    expect(appendsSinceReplace(table(['append', 'append', 'replace', 'append', 'delete', 'append']))).toBe(2);
    expect(appendsSinceReplace(table(['append', 'replace']))).toBe(0);
  });

  it('counts back to the first snapshot the table still keeps when none was a compaction', () => {
    expect(appendsSinceReplace(table(['append', 'append', 'append']))).toBe(3);
    expect(appendsSinceReplace(table(['append', 'append', 'append', 'append'], { keepFrom: 3 }))).toBe(2);
  });

  it('follows the main branch, not the newest snapshot', () => {
    expect(appendsSinceReplace(table(['append', 'replace', 'append', 'append'], { branch: 3 }))).toBe(1);
  });

  it('is 0 for a table without snapshots', () => {
    expect(appendsSinceReplace({ ...table([]), 'current-snapshot-id': -1, refs: {} })).toBe(0);
  });
});
