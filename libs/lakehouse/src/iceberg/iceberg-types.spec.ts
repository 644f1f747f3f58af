import { describe, expect, it } from 'vitest';
import { duckdbType, parquetFieldIds, toBinary } from './iceberg-types.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('Iceberg single-value serialization', () => {
  it.each([
    ['boolean', true, '01'],
    ['int', 1, '01000000'],
    ['date', -1, 'ffffffff'],
    ['long', 256n, '0001000000000000'],
    ['timestamptz', 1n, '0100000000000000'],
    ['double', 1, '000000000000f03f'],
    ['float', -2, '000000c0'],
    ['string', 'iceberg', '69636562657267'],
    ['uuid', 'f79c3e09-677c-4bbd-a479-3f349cb785e7', 'f79c3e09677c4bbda4793f349cb785e7'],
    ['decimal(9, 2)', 12345n, '3039'],
    ['decimal(9, 2)', -1n, 'ff'],
    ['decimal(9, 2)', 128n, '0080'],
    ['decimal(9, 2)', -129n, 'ff7f'],
  ])('%s %s is %s', (type, value, expected) => {
    expect(hex(toBinary(type, value))).toBe(expected);
  });
});

describe('DuckDB mapping', () => {
  it('names nested types and tags nested field ids', () => {
    const fields = [
      { id: 1, name: 'id', required: true, type: 'long' },
      {
        id: 2,
        name: 'point',
        required: false,
        type: { type: 'struct' as const, fields: [{ id: 5, name: 'x', required: false, type: 'double' }] },
      },
      {
        id: 3,
        name: 'tags',
        required: false,
        type: { type: 'list' as const, 'element-id': 6, element: 'string', 'element-required': false },
      },
    ];
    expect(duckdbType(fields[1]?.type ?? '')).toBe('STRUCT("x" DOUBLE)');
    expect(duckdbType(fields[2]?.type ?? '')).toBe('VARCHAR[]');
    expect(parquetFieldIds(fields)).toBe(
      "{'id': 1, 'point': {'__duckdb_field_id': 2, 'x': 5}, 'tags': {'__duckdb_field_id': 3, 'element': 6}}",
    );
  });
});
