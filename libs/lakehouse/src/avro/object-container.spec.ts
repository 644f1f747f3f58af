import { describe, expect, it } from 'vitest';
import { AvroFormatError } from './avro.errors.ts';
import type { AvroSchema } from './avro-schema.ts';
import { readAvroContainer, writeAvroContainer } from './object-container.ts';

const schema: AvroSchema = {
  type: 'record',
  name: 'row',
  fields: [
    { name: 'id', type: 'long', 'field-id': 1 },
    { name: 'small', type: 'int' },
    { name: 'name', type: ['null', 'string'], default: null },
    { name: 'ok', type: 'boolean' },
    { name: 'ratio', type: 'double' },
    { name: 'f', type: 'float' },
    { name: 'blob', type: 'bytes' },
    { name: 'uuid', type: { type: 'fixed', name: 'uuid16', size: 16 } },
    { name: 'tags', type: { type: 'array', items: 'string', 'element-id': 9 } },
    { name: 'props', type: { type: 'map', values: 'long' } },
    { name: 'again', type: ['null', 'uuid16'] },
  ],
};

const row = (i: number) => ({
  id: (BigInt(i) << 50n) + 1n,
  small: 1 - i,
  name: i % 2 ? `row ${i} ✓` : null,
  ok: i % 3 === 0,
  ratio: i / 3,
  f: 0.5,
  blob: new Uint8Array([i % 256, 0, 255]),
  uuid: new Uint8Array(16).fill(i % 256),
  tags: i % 4 ? ['a', 'b'] : [],
  props: { x: BigInt(-i), y: 2n ** 62n },
  again: null,
});

describe('Avro object container files', () => {
  it.each(['deflate', 'null'] as const)('round-trips every supported type with the %s codec', (codec) => {
    const rows = Array.from({ length: 5000 }, (_, i) => row(i));
    const bytes = writeAvroContainer(schema, rows, { codec, metadata: { 'format-version': '2' } });
    const read = readAvroContainer(bytes);
    expect(read.metadata).toEqual({ 'format-version': '2' });
    expect(read.schema).toEqual(schema);
    expect(read.records).toEqual(rows);
  });

  it('keeps longs beyond 2^53 exact, negative ones included', () => {
    const longs: AvroSchema = { type: 'record', name: 'l', fields: [{ name: 'v', type: 'long' }] };
    const values = [0n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 9_007_199_254_740_993n];
    const read = readAvroContainer<{ v: bigint }>(
      writeAvroContainer(
        longs,
        values.map((v) => ({ v })),
      ),
    );
    expect(read.records.map((r) => r.v)).toEqual(values);
  });

  it('refuses values that do not fit the schema, naming where', () => {
    expect(() => writeAvroContainer(schema, [{ ...row(1), small: 2 ** 31 }])).toThrow(/record 0\.small/);
    expect(() => writeAvroContainer(schema, [{ ...row(1), ok: null }])).toThrow(AvroFormatError);
    expect(() => writeAvroContainer(schema, [{ ...row(1), id: 2n ** 63n }])).toThrow(/record 0\.id/);
  });

  it('refuses a file that is not an object container', () => {
    expect(() => readAvroContainer(new Uint8Array([1, 2, 3, 4, 5]))).toThrow(/not an Avro object container/);
  });
});
