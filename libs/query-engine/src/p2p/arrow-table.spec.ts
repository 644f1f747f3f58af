import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import {
  type Data,
  type DataType,
  DateMillisecond,
  Dictionary,
  DurationMillisecond,
  Field,
  FixedSizeBinary,
  FixedSizeList,
  Float16,
  Int32,
  IntervalDayTime,
  IntervalYearMonth,
  LargeUtf8,
  makeData,
  makeVector,
  Null,
  RecordBatch,
  Schema,
  SparseUnion,
  Struct,
  Table,
  TimeMillisecond,
  TimeNanosecond,
  TimestampNanosecond,
  TimestampSecond,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QueryError, QueryErrorCode } from '../errors.ts';
import { type ArrowSource, loadArrowTable } from './arrow-table.ts';

let instance: DuckDBInstance;
let connection: DuckDBConnection;

beforeEach(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
});

afterEach(() => {
  connection.closeSync();
  instance.closeSync();
});

async function* stream(...batches: RecordBatch[]): AsyncGenerator<RecordBatch> {
  yield* batches;
}

function source(...batches: RecordBatch[]): ArrowSource {
  return { batches: stream(...batches) };
}

/** A column from raw Arrow buffers, for types the builders do not take plain values for. */
function raw<T extends DataType>(type: T, data: ArrayBufferView, length: number): Data<T> {
  return makeData({ type, length, nullCount: 0, data } as never) as Data<T>;
}

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

async function tables(): Promise<string[]> {
  const result = await connection.runAndReadAll(
    'select table_name from information_schema.tables order by 1',
  );
  return result.getRows().map(([name]) => String(name));
}

async function failure(promise: Promise<unknown>): Promise<QueryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(QueryError);
  return error as QueryError;
}

describe(loadArrowTable.name, () => {
  it('lands Arrow types that DuckDB never sends with the values they encode', async () => {
    const table = new Table({
      date64: makeVector(raw(new DateMillisecond(), new BigInt64Array([-43_200_000n]), 1)),
      time32: makeVector(raw(new TimeMillisecond(), new Int32Array([45_296_789]), 1)),
      time_ns: makeVector(raw(new TimeNanosecond(), new BigInt64Array([45_296_789_123_456n]), 1)),
      zoned_ns: makeVector(raw(new TimestampNanosecond('Europe/Berlin'), new BigInt64Array([-1_500n]), 1)),
      seconds: makeVector(raw(new TimestampSecond(), new BigInt64Array([86_401n]), 1)),
      word: vectorFromArray(['b'], new Dictionary(new Utf8(), new Int32())),
      large: vectorFromArray(['großer Text'], new LargeUtf8()),
      pair: makeVector(raw(new FixedSizeBinary(2), new Uint8Array([0xca, 0xfe]), 1)),
      waited: makeVector(raw(new DurationMillisecond(), new BigInt64Array([90_061_001n]), 1)),
      day_time: makeVector(raw(new IntervalDayTime(), new Int32Array([3, 4_000]), 1)),
      year_month: makeVector(raw(new IntervalYearMonth(), new Int32Array([14]), 1)),
      half: vectorFromArray([1.5], new Float16()),
      nothing: makeVector(makeData({ type: new Null(), length: 1 })),
      xy: vectorFromArray([[1, 2]], new FixedSizeList(2, new Field('item', new Int32(), true))),
    });
    const loaded = await loadArrowTable(connection, source(...table.batches), { table: 'odd' });
    expect(loaded.columns.map((c) => `${c.name} ${c.type}`)).toEqual([
      'date64 DATE',
      'time32 TIME',
      'time_ns TIME_NS',
      'zoned_ns TIMESTAMP WITH TIME ZONE',
      'seconds TIMESTAMP_S',
      'word VARCHAR',
      'large VARCHAR',
      'pair BLOB',
      'waited INTERVAL',
      'day_time INTERVAL',
      'year_month INTERVAL',
      'half FLOAT',
      'nothing INTEGER',
      'xy INTEGER[2]',
    ]);
    expect(
      await rows(`select date64, time32, time_ns::varchar as time_ns, epoch_us(zoned_ns) as zoned_us,
                         seconds, word, large, pair, waited::varchar as waited, day_time::varchar as day_time,
                         year_month::varchar as year_month, half, nothing, xy from odd`),
    ).toEqual([
      {
        date64: '1969-12-31',
        time32: '12:34:56.789',
        time_ns: '12:34:56.789123456',
        // -1.5 µs lies in the microsecond that starts at -2 µs.
        zoned_us: '-2',
        seconds: '1970-01-02 00:00:01',
        word: 'b',
        large: 'großer Text',
        pair: '\\xCA\\xFE',
        // A duration is exact time, so it stays hours rather than becoming a calendar day.
        waited: '25:01:01.001',
        day_time: '3 days 00:00:04',
        year_month: '1 year 2 months',
        half: 1.5,
        nothing: null,
        xy: [1, 2],
      },
    ]);
  });

  it('reads a sliced batch from its offset, nulls included', async () => {
    const table = new Table({
      n: vectorFromArray([0, 1, 2, null, 4, 5, 6, 7], new Int32()),
      even: vectorFromArray([true, false, true, false, true, false, true, false]),
      text: vectorFromArray(['a', 'b', 'c', 'd', null, 'f', 'g', 'h'], new Utf8()),
    });
    const [batch] = table.batches as [RecordBatch];
    await loadArrowTable(connection, source(batch.slice(3, 6)), { table: 'sliced' });
    expect(await rows('select * from sliced')).toEqual([
      { n: null, even: false, text: 'd' },
      { n: 4, even: true, text: null },
      { n: 5, even: false, text: 'f' },
    ]);
  });

  it('gives columns whose names clash in DuckDB a suffix', async () => {
    const schema = new Schema([new Field('id', new Int32()), new Field('ID', new Int32())]);
    const children = [
      vectorFromArray([1], new Int32()).data[0],
      vectorFromArray([2], new Int32()).data[0],
    ] as Data[];
    const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: 1, children }));
    const loaded = await loadArrowTable(connection, source(batch), { table: 'clash' });
    expect(loaded.columns.map((c) => c.name)).toEqual(['id', 'ID_1']);
    expect(await rows('select * from clash')).toEqual([{ id: 1, ID_1: 2 }]);
  });

  it('creates an empty table from the announced schema, and refuses a stream without one', async () => {
    const schema = new Schema([new Field('id', new Int32())]);
    const loaded = await loadArrowTable(
      connection,
      { batches: stream(), schema: () => schema },
      { table: 'empty' },
    );
    expect(loaded.rows).toBe(0);
    expect(await rows('select count(*) as n from empty')).toEqual([{ n: '0' }]);

    const error = await failure(loadArrowTable(connection, source(), { table: 'unknown' }));
    expect(error.code).toBe(QueryErrorCode.InvalidArgument);
    expect(await tables()).toEqual(['empty']);
  });

  it('refuses an Arrow type DuckDB has no column for, leaving nothing behind', async () => {
    const union = new SparseUnion([0], [new Field('i', new Int32())]);
    const children = [vectorFromArray([1], new Int32()).data[0] as Data];
    const u = makeVector(
      makeData({ type: union, length: 1, nullCount: 0, typeIds: new Int8Array([0]), children }),
    );
    const batch = new Table({ u }).batches[0] as RecordBatch;
    const error = await failure(loadArrowTable(connection, source(batch), { table: 'united' }));
    expect(error.code).toBe(QueryErrorCode.Unimplemented);
    expect(error.message).toContain('column u');
    expect(await tables()).toEqual([]);
  });

  it('passes a failing source’s error through and drops the rows it had appended', async () => {
    const first = new Table({ n: vectorFromArray([1, 2], new Int32()) }).batches[0] as RecordBatch;
    async function* failing(): AsyncGenerator<RecordBatch> {
      yield first;
      throw new QueryError(QueryErrorCode.Unavailable, 'peer went away');
    }
    let appended = 0;
    const error = await failure(
      loadArrowTable(
        connection,
        { batches: failing() },
        {
          table: 'partial',
          onProgress: (p) => {
            appended = p.rows;
          },
        },
      ),
    );
    expect(error).toMatchObject({ code: QueryErrorCode.Unavailable, message: 'peer went away' });
    expect(appended).toBe(2);
    expect(await tables()).toEqual([]);
  });

  it('stops at maxBytes and on an aborted signal', async () => {
    const batch = new Table({ n: vectorFromArray([1, 2, 3, 4], new Int32()) }).batches[0] as RecordBatch;
    const tooBig = await failure(
      loadArrowTable(connection, source(batch, batch), { table: 'big', maxBytes: 20 }),
    );
    expect(tooBig.code).toBe(QueryErrorCode.ResourceExhausted);

    const controller = new AbortController();
    const aborted = await failure(
      loadArrowTable(connection, source(batch, batch, batch), {
        table: 'aborted',
        signal: controller.signal,
        onProgress: () => controller.abort(),
      }),
    );
    expect(aborted.code).toBe(QueryErrorCode.Cancelled);
    expect(await tables()).toEqual([]);
  });
});
