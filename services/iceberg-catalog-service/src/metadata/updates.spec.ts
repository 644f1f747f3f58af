import { describe, expect, it } from 'vitest';
import { appendUpdates, NOW, schemaWith, snapshot, tableMetadata } from '../../test/factories.ts';
import { BadRequestError, CommitFailedError } from '../catalog.errors.ts';
import { type TableUpdate, updateSchema } from './commit.schema.ts';
import { applyUpdates, validateMetadata } from './updates.ts';

const base = tableMetadata();
const apply = (updates: TableUpdate[], metadata = base, baseLocation?: string) =>
  applyUpdates(metadata, updates, { nowMs: NOW + 5_000, baseLocation });
const idField = { id: 1, name: 'id', required: true, type: 'long' };
const siteField = { id: 2, name: 'site', required: false, type: 'string' };

describe(applyUpdates.name, () => {
  it('leaves the input untouched', () => {
    const before = structuredClone(base);
    apply([{ action: 'set-properties', updates: { a: '1' } }]);
    expect(base).toEqual(before);
  });

  describe('assign-uuid and upgrade-format-version', () => {
    it('keeps the same uuid and refuses another', () => {
      expect(apply([{ action: 'assign-uuid', uuid: base['table-uuid'] }])['table-uuid']).toBe(
        base['table-uuid'],
      );
      expect(() => apply([{ action: 'assign-uuid', uuid: '00000000-0000-4000-8000-000000000000' }])).toThrow(
        BadRequestError,
      );
    });

    it('refuses a downgrade and an unsupported version', () => {
      expect(() => apply([{ action: 'upgrade-format-version', 'format-version': 1 }])).toThrow(/downgrade/);
      expect(() => apply([{ action: 'upgrade-format-version', 'format-version': 9 }])).toThrow(/Unsupported/);
      expect(apply([{ action: 'upgrade-format-version', 'format-version': 2 }])['format-version']).toBe(2);
    });
  });

  describe('schemas', () => {
    it('adds a schema with the next id, makes the last added one current and raises last-column-id', () => {
      const next = apply([
        {
          action: 'add-schema',
          schema: schemaWith(
            [idField, siteField, { id: 3, name: 'score', required: false, type: 'double' }],
            7,
          ),
        },
        { action: 'set-current-schema', 'schema-id': -1 },
      ]);
      expect(next.schemas.map((s) => s['schema-id'])).toEqual([0, 1]);
      expect(next['current-schema-id']).toBe(1);
      expect(next['last-column-id']).toBe(3);
    });

    it('reuses the id of an identical schema instead of adding it twice', () => {
      const next = apply([
        { action: 'add-schema', schema: schemaWith([idField, siteField], 5) },
        { action: 'set-current-schema', 'schema-id': -1 },
      ]);
      expect(next.schemas).toHaveLength(1);
      expect(next['current-schema-id']).toBe(0);
    });

    it('refuses a current schema that does not exist, or "last added" when none was', () => {
      expect(() => apply([{ action: 'set-current-schema', 'schema-id': 4 }])).toThrow(
        /Schema 4 does not exist/,
      );
      expect(() => apply([{ action: 'set-current-schema', 'schema-id': -1 }])).toThrow(/no schema was added/);
    });

    it('removes old schemas but never the current one', () => {
      const two = apply([
        { action: 'add-schema', schema: schemaWith([idField]) },
        { action: 'set-current-schema', 'schema-id': -1 },
      ]);
      expect(
        apply([{ action: 'remove-schemas', 'schema-ids': [0] }], two).schemas.map((s) => s['schema-id']),
      ).toEqual([1]);
      expect(() => apply([{ action: 'remove-schemas', 'schema-ids': [1] }], two)).toThrow(/current schema/);
    });
  });

  describe('partition specs and sort orders', () => {
    it('adds a spec, assigning field ids after the last, and makes it the default', () => {
      const next = apply([
        { action: 'add-spec', spec: { fields: [{ 'source-id': 2, name: 'site', transform: 'identity' }] } },
        { action: 'set-default-spec', 'spec-id': -1 },
      ]);
      expect(next['partition-specs'][1]).toEqual({
        'spec-id': 1,
        fields: [{ 'source-id': 2, 'field-id': 1000, name: 'site', transform: 'identity' }],
      });
      expect(next['default-spec-id']).toBe(1);
      expect(next['last-partition-id']).toBe(1000);
      expect(() => apply([{ action: 'remove-partition-specs', 'spec-ids': [1] }], next)).toThrow(
        /default partition spec/,
      );
      expect(
        apply([{ action: 'remove-partition-specs', 'spec-ids': [0] }], next)['partition-specs'],
      ).toHaveLength(1);
    });

    it('adds a sort order with id 1 and the unsorted order as 0', () => {
      const field = {
        'source-id': 1,
        transform: 'identity',
        direction: 'desc',
        'null-order': 'nulls-last',
      } as const;
      const next = apply([
        { action: 'add-sort-order', 'sort-order': { 'order-id': 9, fields: [field] } },
        { action: 'set-default-sort-order', 'sort-order-id': -1 },
      ]);
      expect(next['sort-orders'].map((o) => o['order-id'])).toEqual([0, 1]);
      expect(next['default-sort-order-id']).toBe(1);
      const unsorted = apply(
        [
          { action: 'add-sort-order', 'sort-order': { fields: [] } },
          { action: 'set-default-sort-order', 'sort-order-id': -1 },
        ],
        next,
      );
      expect(unsorted['default-sort-order-id']).toBe(0);
      expect(() => apply([{ action: 'set-default-sort-order', 'sort-order-id': 3 }])).toThrow(/Sort order 3/);
    });
  });

  describe('snapshots and refs', () => {
    it('adds a snapshot, moves main, logs it and raises the sequence number', () => {
      const snap = snapshot({ 'sequence-number': 1 });
      const next = apply(appendUpdates(snap));
      expect(next['current-snapshot-id']).toBe(snap['snapshot-id']);
      expect(next.refs.main).toEqual({ 'snapshot-id': snap['snapshot-id'], type: 'branch' });
      expect(next['snapshot-log']).toEqual([
        { 'snapshot-id': snap['snapshot-id'], 'timestamp-ms': snap['timestamp-ms'] },
      ]);
      expect(next['last-sequence-number']).toBe(1);
      expect(next['last-updated-ms']).toBe(snap['timestamp-ms']);
    });

    it('answers a snapshot older than the table with a retryable conflict, and a duplicate with 400', () => {
      const first = snapshot({ 'sequence-number': 1 });
      const table = apply(appendUpdates(first));
      const stale = snapshot({ 'sequence-number': 1, 'parent-snapshot-id': first['snapshot-id'] });
      expect(() => apply(appendUpdates(stale), table)).toThrow(CommitFailedError);
      expect(() => apply([{ action: 'add-snapshot', snapshot: first }], table)).toThrow(/already exists/);
    });

    it('stores a branch named master as main', () => {
      const snap = snapshot();
      const next = apply(appendUpdates(snap, 'master'));
      expect(Object.keys(next.refs)).toEqual(['main']);
      expect(next['current-snapshot-id']).toBe(snap['snapshot-id']);
    });

    it('keeps tags and branches apart from main and refuses refs to unknown snapshots', () => {
      const snap = snapshot();
      const next = apply([
        { action: 'add-snapshot', snapshot: snap },
        {
          action: 'set-snapshot-ref',
          'ref-name': 'v1',
          type: 'tag',
          'snapshot-id': snap['snapshot-id'],
          'max-ref-age-ms': 1000,
        },
      ]);
      expect(next.refs.v1).toEqual({
        'snapshot-id': snap['snapshot-id'],
        type: 'tag',
        'max-ref-age-ms': 1000,
      });
      expect(next['current-snapshot-id']).toBe(-1);
      expect(() =>
        apply([{ action: 'set-snapshot-ref', 'ref-name': 'dev', type: 'branch', 'snapshot-id': 42 }]),
      ).toThrow(/unknown snapshot/);
      expect(() =>
        apply(
          [
            {
              action: 'set-snapshot-ref',
              'ref-name': 'main',
              type: 'tag',
              'snapshot-id': snap['snapshot-id'],
            },
          ],
          next,
        ),
      ).toThrow(/must be a branch/);
      expect(apply([{ action: 'remove-snapshot-ref', 'ref-name': 'v1' }], next).refs).toEqual({});
    });

    it('removes snapshots with the refs, statistics and history that point at them', () => {
      const first = snapshot({ 'sequence-number': 1 });
      const second = snapshot({ 'sequence-number': 2, 'parent-snapshot-id': first['snapshot-id'] });
      let table = apply(appendUpdates(first));
      table = apply(
        [
          ...appendUpdates(second),
          { action: 'set-snapshot-ref', 'ref-name': 'old', type: 'tag', 'snapshot-id': first['snapshot-id'] },
          {
            action: 'set-statistics',
            statistics: {
              'snapshot-id': first['snapshot-id'],
              'statistics-path': 's3://warehouse/acme/s.puffin',
            },
          },
          {
            action: 'set-partition-statistics',
            'partition-statistics': {
              'snapshot-id': first['snapshot-id'],
              'statistics-path': 's3://warehouse/acme/p.parquet',
              'file-size-in-bytes': 10,
            },
          },
        ],
        table,
      );
      expect(table.statistics).toHaveLength(1);
      const pruned = apply([{ action: 'remove-snapshots', 'snapshot-ids': [first['snapshot-id']] }], table);
      expect(pruned.snapshots.map((s) => s['snapshot-id'])).toEqual([second['snapshot-id']]);
      expect(Object.keys(pruned.refs)).toEqual(['main']);
      expect(pruned.statistics).toEqual([]);
      expect(pruned['partition-statistics']).toEqual([]);
      expect(pruned['snapshot-log'].map((e) => e['snapshot-id'])).toEqual([second['snapshot-id']]);
      const empty = apply([{ action: 'remove-snapshot-ref', 'ref-name': 'main' }], pruned);
      expect(empty['current-snapshot-id']).toBe(-1);
    });

    it('replaces and removes statistics per snapshot', () => {
      const snap = snapshot();
      const stats = (path: string) => ({ 'snapshot-id': snap['snapshot-id'], 'statistics-path': path });
      let table = apply([
        { action: 'add-snapshot', snapshot: snap },
        { action: 'set-statistics', statistics: stats('s3://warehouse/acme/a.puffin') },
        { action: 'set-statistics', statistics: stats('s3://warehouse/acme/b.puffin') },
      ]);
      expect(table.statistics).toEqual([stats('s3://warehouse/acme/b.puffin')]);
      table = apply(
        [
          { action: 'remove-statistics', 'snapshot-id': snap['snapshot-id'] },
          { action: 'remove-partition-statistics', 'snapshot-id': snap['snapshot-id'] },
        ],
        table,
      );
      expect(table.statistics).toEqual([]);
    });
  });

  describe('properties, location and the metadata log', () => {
    it('sets and removes properties and moves the location', () => {
      const next = apply([
        { action: 'set-properties', updates: { a: '1', b: '2' } },
        { action: 'remove-properties', removals: ['a', 'missing'] },
        { action: 'set-location', location: 's3://warehouse/acme/db/moved/' },
      ]);
      expect(next.properties).toEqual({ b: '2' });
      expect(next.location).toBe('s3://warehouse/acme/db/moved');
    });

    it('records the replaced file in the metadata log, keeping at most previous-versions-max entries', () => {
      let table = apply([
        { action: 'set-properties', updates: { 'write.metadata.previous-versions-max': '2' } },
      ]);
      for (const n of [1, 2, 3])
        table = apply([{ action: 'set-properties', updates: { n: String(n) } }], table, `s3://m/${n}`);
      expect(table['metadata-log'].map((e) => e['metadata-file'])).toEqual(['s3://m/2', 's3://m/3']);
    });
  });
});

describe(validateMetadata.name, () => {
  it('accepts a new table and rejects one without a current schema', () => {
    expect(() => validateMetadata(base)).not.toThrow();
    expect(() => validateMetadata({ ...base, 'current-schema-id': 3 })).toThrow(/current schema is missing/);
  });
});

describe('update and requirement parsing', () => {
  it('rejects an update type the catalog does not know', () => {
    expect(updateSchema.safeParse({ action: 'rewrite-history', everything: true }).success).toBe(false);
    expect(updateSchema.safeParse({ action: 'set-properties', updates: { a: '1' } }).success).toBe(true);
  });
});
