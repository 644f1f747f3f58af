import { describe, expect, it } from 'vitest';
import { appendUpdates, snapshot, tableMetadata } from '../../test/factories.ts';
import { CommitFailedError } from '../catalog.errors.ts';
import type { TableRequirement } from './commit.schema.ts';
import { checkRequirements } from './requirements.ts';
import { applyUpdates } from './updates.ts';

const base = tableMetadata();
const snap = snapshot();
const withMain = applyUpdates(base, appendUpdates(snap), { nowMs: 0 });

function outcome(metadata: typeof base | undefined, requirement: TableRequirement): 'ok' | 'conflict' {
  try {
    checkRequirements(metadata, [requirement]);
    return 'ok';
  } catch (error) {
    if (error instanceof CommitFailedError) return 'conflict';
    throw error;
  }
}

describe(checkRequirements.name, () => {
  it.each<[string, TableRequirement, 'ok' | 'conflict']>([
    ['assert-table-uuid matches', { type: 'assert-table-uuid', uuid: base['table-uuid'] }, 'ok'],
    [
      'assert-table-uuid differs',
      { type: 'assert-table-uuid', uuid: '00000000-0000-4000-8000-000000000000' },
      'conflict',
    ],
    ['assert-current-schema-id matches', { type: 'assert-current-schema-id', 'current-schema-id': 0 }, 'ok'],
    [
      'assert-current-schema-id differs',
      { type: 'assert-current-schema-id', 'current-schema-id': 1 },
      'conflict',
    ],
    [
      'assert-last-assigned-field-id matches',
      { type: 'assert-last-assigned-field-id', 'last-assigned-field-id': 2 },
      'ok',
    ],
    [
      'assert-last-assigned-field-id differs',
      { type: 'assert-last-assigned-field-id', 'last-assigned-field-id': 3 },
      'conflict',
    ],
    [
      'assert-last-assigned-partition-id matches',
      { type: 'assert-last-assigned-partition-id', 'last-assigned-partition-id': 999 },
      'ok',
    ],
    [
      'assert-last-assigned-partition-id differs',
      { type: 'assert-last-assigned-partition-id', 'last-assigned-partition-id': 1000 },
      'conflict',
    ],
    ['assert-default-spec-id matches', { type: 'assert-default-spec-id', 'default-spec-id': 0 }, 'ok'],
    ['assert-default-spec-id differs', { type: 'assert-default-spec-id', 'default-spec-id': 1 }, 'conflict'],
    [
      'assert-default-sort-order-id matches',
      { type: 'assert-default-sort-order-id', 'default-sort-order-id': 0 },
      'ok',
    ],
    [
      'assert-default-sort-order-id differs',
      { type: 'assert-default-sort-order-id', 'default-sort-order-id': 1 },
      'conflict',
    ],
    [
      'assert-ref-snapshot-id null on a table without main',
      { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null },
      'ok',
    ],
    [
      'assert-ref-snapshot-id on a missing ref',
      { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': 1 },
      'conflict',
    ],
    ['assert-create on an existing table', { type: 'assert-create' }, 'conflict'],
  ])('%s', (_name, requirement, expected) => {
    expect(outcome(base, requirement)).toBe(expected);
  });

  it('compares 64-bit snapshot ids exactly, and accepts master for main', () => {
    const id = snap['snapshot-id'] as bigint;
    expect(outcome(withMain, { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': id })).toBe('ok');
    expect(outcome(withMain, { type: 'assert-ref-snapshot-id', ref: 'master', 'snapshot-id': id })).toBe(
      'ok',
    );
    expect(outcome(withMain, { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': id + 1n })).toBe(
      'conflict',
    );
    expect(outcome(withMain, { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null })).toBe(
      'conflict',
    );
  });

  it('lets assert-create through only when the table does not exist', () => {
    expect(outcome(undefined, { type: 'assert-create' })).toBe('ok');
    expect(outcome(undefined, { type: 'assert-current-schema-id', 'current-schema-id': 0 })).toBe('conflict');
  });
});
