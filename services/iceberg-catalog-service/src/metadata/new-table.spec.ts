import { describe, expect, it } from 'vitest';
import { createTableRequest, NOW } from '../../test/factories.ts';
import { newTableMetadata } from './new-table.ts';
import { metadataFileName, metadataVersion } from './table-metadata.ts';

const create = (overrides: Parameters<typeof createTableRequest>[0]) =>
  newTableMetadata({
    request: createTableRequest(overrides),
    uuid: 'u',
    location: 's3://warehouse/acme/t',
    nowMs: NOW,
  });

describe(newTableMetadata.name, () => {
  it('renumbers field ids from 1, struct fields before what nests inside them', () => {
    const metadata = create({
      schema: {
        type: 'struct',
        'identifier-field-ids': [10],
        fields: [
          { id: 10, name: 'id', required: true, type: 'long' },
          {
            id: 20,
            name: 'tags',
            required: false,
            type: {
              type: 'map',
              'key-id': 21,
              key: 'string',
              'value-id': 22,
              value: 'string',
              'value-required': false,
            },
          },
          {
            id: 30,
            name: 'points',
            required: false,
            type: { type: 'list', 'element-id': 31, element: 'double', 'element-required': true },
          },
        ],
      },
      'partition-spec': { fields: [{ 'source-id': 10, name: 'id_bucket', transform: 'bucket[4]' }] },
      'write-order': {
        fields: [{ 'source-id': 10, transform: 'identity', direction: 'asc', 'null-order': 'nulls-first' }],
      },
    });
    const [schema] = metadata.schemas;
    expect(schema?.fields.map((f) => f.id)).toEqual([1, 2, 3]);
    expect(schema?.fields[1]?.type).toMatchObject({ 'key-id': 4, 'value-id': 5 });
    expect(schema?.fields[2]?.type).toMatchObject({ 'element-id': 6 });
    expect(schema?.['identifier-field-ids']).toEqual([1]);
    expect(metadata['last-column-id']).toBe(6);
    expect(metadata['partition-specs']).toEqual([
      {
        'spec-id': 0,
        fields: [{ 'source-id': 1, 'field-id': 1000, name: 'id_bucket', transform: 'bucket[4]' }],
      },
    ]);
    expect(metadata['last-partition-id']).toBe(1000);
    expect(metadata['default-sort-order-id']).toBe(1);
    expect(metadata['sort-orders'][0]?.fields[0]?.['source-id']).toBe(1);
  });

  it('starts unpartitioned and unsorted, with no snapshot', () => {
    const metadata = create({});
    expect(metadata).toMatchObject({
      'format-version': 2,
      'last-partition-id': 999,
      'default-sort-order-id': 0,
      'sort-orders': [{ 'order-id': 0, fields: [] }],
      'current-snapshot-id': -1,
      'last-sequence-number': 0,
      refs: {},
      snapshots: [],
    });
  });

  it('takes format-version from the properties without storing it', () => {
    expect(create({ properties: { 'format-version': '2', owner: 'x' } }).properties).toEqual({ owner: 'x' });
    expect(() => create({ properties: { 'format-version': '1' } })).toThrow(/Unsupported format version/);
  });

  it('rejects a partition field on a column the schema lacks', () => {
    expect(() =>
      create({ 'partition-spec': { fields: [{ 'source-id': 99, name: 'x', transform: 'identity' }] } }),
    ).toThrow(/field id 99/);
  });
});

describe('metadata file names', () => {
  it('follow <location>/metadata/<5-digit version>-<uuid>.metadata.json', () => {
    const name = metadataFileName('s3://warehouse/acme/t/', 7, 'abc');
    expect(name).toBe('s3://warehouse/acme/t/metadata/00007-abc.metadata.json');
    expect(metadataVersion(name)).toBe(7);
    expect(metadataVersion('s3://warehouse/elsewhere/v3.json')).toBe(-1);
  });
});
