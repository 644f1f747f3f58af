import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { type Data, makeData, makeVector, RecordBatch, Struct } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arrowSchemaOf, ColumnAccumulator, toArrowData } from './duckdb-to-arrow.ts';
import { encodeBatches, readBatches } from './ipc.ts';
import { columnReader } from './native-columns.ts';

let instance: DuckDBInstance;

async function roundTrip(sql: string) {
  const connection = await instance.connect();
  const reader = await connection.runAndReadAll(sql);
  const columns = reader.columnTypes().map((type, i) => ({ name: reader.columnName(i), type }));
  const schema = arrowSchemaOf(columns);
  const children = columns.map((c, i) => toArrowData(c.type, reader.getColumns()[i] ?? []));
  const batch = new RecordBatch(
    schema,
    makeData({ type: new Struct(schema.fields), length: reader.currentRowCount, nullCount: 0, children }),
  );
  connection.closeSync();
  // Through IPC and back, as a client would see it.
  return readBatches(encodeBatches(schema, [batch]));
}

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
});
afterAll(() => instance.closeSync());

describe('toArrowData', () => {
  it('sends VARCHAR as plain Utf8 with nulls kept', async () => {
    const { schema, batches } = await roundTrip("select * from (values ('é'), (null), ('')) t(s)");
    expect(String(schema.fields[0]?.type)).toBe('Utf8');
    expect(batches[0]?.getChildAt(0)?.toArray()).toEqual(['é', null, '']);
  });

  it('keeps integers, decimals and booleans exact', async () => {
    const { batches } = await roundTrip(
      'select 9223372036854775807::bigint as b, 123.45::decimal(10,2) as d, -1::tinyint as t, true as f',
    );
    const row = batches[0]?.get(0)?.toJSON() as Record<string, unknown>;
    expect(row.b).toBe(9223372036854775807n);
    expect(row.t).toBe(-1);
    expect(row.f).toBe(true);
    const decimal = batches[0]?.getChildAt(1)?.data[0]?.values as Uint32Array;
    expect(decimal[0]).toBe(12345);
  });

  it('sends instants as UTC microseconds and local timestamps without a zone', async () => {
    const { schema, batches } = await roundTrip(
      "select timestamptz '2024-01-02 03:04:05.123456+02' as tz, timestamp '2024-01-02 03:04:05' as ts, date '2024-01-02' as d",
    );
    expect(String(schema.fields[0]?.type)).toBe('Timestamp<MICROSECOND, UTC>');
    expect(String(schema.fields[1]?.type)).toBe('Timestamp<MICROSECOND>');
    const tz = batches[0]?.getChildAt(0)?.data[0]?.values as BigInt64Array;
    expect(tz[0]).toBe(BigInt(Date.UTC(2024, 0, 2, 1, 4, 5)) * 1000n + 123456n);
    expect(batches[0]?.getChildAt(2)?.get(0)).toBe(Date.UTC(2024, 0, 2));
  });

  it('nests lists and structs', async () => {
    const { batches } = await roundTrip("select [1, null, 3] as l, {'a': 'x', 'b': 2} as s");
    const row = batches[0]?.get(0)?.toJSON() as Record<string, { toJSON(): unknown }>;
    expect(row.l?.toJSON()).toEqual([1, null, 3]);
    expect(row.s?.toJSON()).toEqual({ a: 'x', b: 2 });
  });
});

it('has the compiled column reader on this machine (the build compiles it with the C compiler every machine here has)', () => {
  expect(columnReader).toBeDefined();
});

describe.each([
  { path: 'compiled reader', native: true },
  { path: 'JavaScript path', native: false },
])(`${ColumnAccumulator.name} ($path)`, ({ native }) => {
  /** Streams the first column through an accumulator, cutting a batch every `cutEvery` chunks. */
  async function accumulate(sql: string, database = instance, cutEvery = 0) {
    const connection = await database.connect();
    const result = await connection.stream(sql);
    const column = new ColumnAccumulator(result.columnType(0), { native });
    const cuts: Data[] = [];
    let chunks = 0;
    for (
      let chunk = await result.fetchChunk();
      chunk && chunk.rowCount > 0;
      chunk = await result.fetchChunk()
    ) {
      column.append(chunk, 0);
      if (++chunks % cutEvery === 0) cuts.push(column.finish());
    }
    connection.closeSync();
    cuts.push(column.finish());
    return { data: cuts[0] as Data, cuts, chunks };
  }

  it('joins fixed-width chunks and keeps their nulls in place', async () => {
    const { data, chunks } = await accumulate(
      'select case when range % 3 = 0 then null else range end as v from range(5000)',
    );
    expect(chunks).toBeGreaterThan(1);
    expect(data.length).toBe(5000);
    expect(data.nullCount).toBe(1667);
    const values = data.values as BigInt64Array;
    expect(values[4999]).toBe(4999n);
    expect(data.getValid(3000)).toBe(false);
    expect(data.getValid(3001)).toBe(true);
    expect(values[3001]).toBe(3001n);
  });

  it.each(['decimal(4,1)', 'decimal(9,2)', 'decimal(18,3)', 'decimal(38,5)'])(
    'copies %s exactly as the value path would, negatives and nulls included',
    async (type) => {
      const sql = `select case when range % 7 = 0 then null else ((range - 2500) / 3)::${type} end as v from range(5000)`;
      const { data } = await accumulate(sql);
      const connection = await instance.connect();
      const reader = await connection.runAndReadAll(sql);
      const expected = toArrowData(reader.columnType(0), reader.getColumns()[0] ?? []);
      connection.closeSync();
      expect(data.nullCount).toBe(expected.nullCount);
      // Slots under nulls are undefined in Arrow; compare the rows that hold values.
      const words = (d: typeof data) =>
        Array.from({ length: d.length }, (_, i) =>
          d.getValid(i) ? Array.from((d.values as Uint32Array).subarray(i * 4, i * 4 + 4)) : null,
        );
      expect(words(data)).toEqual(words(expected));
    },
  );

  it.each([
    [
      'VARCHAR',
      "case when range % 5 = 0 then null when range % 2 = 0 then 'é' || range else repeat('ü' || range::varchar, 1 + range % 9) end",
    ],
    ['BLOB', "case when range % 5 = 0 then null else encode(repeat('x', range % 30)) end"],
  ])(
    'copies %s bytes exactly as the value path would, inline, long, empty, non-ASCII and null',
    async (_type, expression) => {
      const sql = `select ${expression} as v from range(5000)`;
      const { data, chunks } = await accumulate(sql);
      expect(chunks).toBeGreaterThan(1);
      const connection = await instance.connect();
      const reader = await connection.runAndReadAll(sql);
      const expected = toArrowData(reader.columnType(0), reader.getColumns()[0] ?? []);
      connection.closeSync();
      expect(data.length).toBe(5000);
      expect(data.nullCount).toBe(expected.nullCount);
      expect(Array.from(data.valueOffsets)).toEqual(Array.from(expected.valueOffsets));
      expect(Buffer.from(data.values).equals(Buffer.from(expected.values))).toBe(true);
    },
  );

  it('reads strings a checkpointed table keeps compressed (dictionary, FSST) and long', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'duckdb-strings-'));
    const file = await DuckDBInstance.create(join(dir, 'words.duckdb'));
    try {
      const setup = await file.connect();
      await setup.run(
        "create table words as select (['alpha', 'a rather long repeated value', null])[1 + range % 3] as w, repeat(chr((65 + range % 26)::integer), (range % 40)::integer) || range as t from range(10000)",
      );
      await setup.run('force checkpoint');
      const storage = await setup.runAndReadAll(
        "select distinct compression from pragma_storage_info('words') where segment_type = 'VARCHAR'",
      );
      expect(storage.getColumns()[0]?.length).toBeGreaterThan(0);
      setup.closeSync();
      for (const column of ['w', 't']) {
        const sql = `select ${column} from words`;
        const { data } = await accumulate(sql, file);
        const check = await file.connect();
        const expected = (await check.runAndReadAll(sql)).getColumns()[0] ?? [];
        check.closeSync();
        const got = Array.from({ length: data.length }, (_, i) =>
          data.getValid(i)
            ? Buffer.from(data.values.subarray(data.valueOffsets[i], data.valueOffsets[i + 1])).toString()
            : null,
        );
        expect(got).toEqual(expected);
      }
    } finally {
      file.closeSync();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    'range % 3 = 0',
    '((range % 200) - 100)::tinyint',
    '((range * 7) % 30000)::smallint',
    '(range * 1000)::integer',
    '(range * 1000000)::ubigint',
    '(range / 7)::float',
    "date '2020-01-01' + (range % 900)::integer",
    "time '00:00:00' + to_microseconds(range * 997)",
    "timestamp '1960-01-01' + to_microseconds(range * 1234567891)",
    "timestamptz '2024-03-31 01:00:00+00' + to_microseconds(range * 1000003)",
    '(range::hugeint - 3000) * 17014118346046923173168730371588410 // 5000',
  ])('keeps %s equal to the value path across batch cuts, nulls included', async (expression) => {
    const sql = `select case when range % 11 = 0 then null else ${expression} end as v from range(7000)`;
    const { cuts } = await accumulate(sql, instance, 2);
    expect(cuts.length).toBeGreaterThan(1);
    const connection = await instance.connect();
    const reader = await connection.runAndReadAll(sql);
    connection.closeSync();
    const expected = makeVector(toArrowData(reader.columnType(0), reader.getColumns()[0] ?? []));
    const got = makeVector(cuts);
    expect(got.length).toBe(7000);
    expect(got.nullCount).toBe(expected.nullCount);
    expect(Array.from({ length: 7000 }, (_, i) => got.get(i))).toEqual(
      Array.from({ length: 7000 }, (_, i) => expected.get(i)),
    );
  });

  it('falls back to values for other types', async () => {
    const { data } = await accumulate('select uuid() as u from range(3000)');
    expect(data.length).toBe(3000);
    expect(String(data.type)).toBe('Utf8');
  });
});
