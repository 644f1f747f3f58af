import { topics } from '@openfoundry/bus-registry';
import { describe, expect, it } from 'vitest';
import { assetEvent, double, long, onPartition } from '../../test/factories.ts';
import { aggregateMessage, batchMessages, stateMessage } from './messages.ts';
import {
  type AggregateRow,
  advanceOffsets,
  aggregateKey,
  avgOf,
  pendingRecords,
  project,
  type StreamRecord,
  touchedWindows,
  typedValueOf,
  valueColumns,
  valueFromColumns,
  windowKey,
} from './projection.ts';

const at = (iso: string) => ({ sourceTime: iso, ingestTime: iso });

/** Projects records batch after batch, feeding each batch the windows the previous ones left. */
function projectInBatches(batches: StreamRecord[][]) {
  const windows = new Map<string, AggregateRow>();
  const states = new Map<string, ReturnType<typeof project>['states'][number]>();
  for (const batch of batches) {
    const result = project(batch, windows);
    for (const row of result.aggregates) windows.set(windowKey(row), row);
    for (const row of result.states) states.set(`${row.tenant}/${row.assetId}/${row.attribute}`, row);
  }
  return { windows, states };
}

const window = (rows: Iterable<AggregateRow>, size: '1m' | '1h', attribute = 'temperature') =>
  [...rows].filter((r) => r.window === size && r.attribute === attribute);

describe('project', () => {
  it('keeps the last record per attribute in stream order as its state', () => {
    const records = onPartition(2, 10n, [
      assetEvent({ value: double(1), ...at('2026-03-01T10:00:05Z') }),
      assetEvent({ attribute: 'running', value: { type: 'boolean', value: true } }),
      assetEvent({ value: double(2), unit: 'Cel', ...at('2026-03-01T10:00:01Z') }),
    ]);
    const { states } = project(records, new Map());
    expect(states).toHaveLength(2);
    const temperature = states.find((s) => s.attribute === 'temperature');
    // Stream order wins even when the source time is older: replay is deterministic.
    expect(temperature).toMatchObject({ value: double(2), unit: 'Cel', partition: 2, offset: 12n });
    expect(temperature?.sourceTime).toBe(Date.parse('2026-03-01T10:00:01Z'));
  });

  it('aggregates numbers per 1-minute and 1-hour window by source time', () => {
    const records = onPartition(0, 0n, [
      assetEvent({ value: double(4), ...at('2026-03-01T10:00:01Z') }),
      assetEvent({ value: long(10), ...at('2026-03-01T10:00:59.999Z') }),
      assetEvent({ value: double(-2), ...at('2026-03-01T10:01:00Z') }),
    ]);
    const { aggregates } = project(records, new Map());
    const minutes = window(aggregates, '1m').sort((a, b) => a.windowStart - b.windowStart);
    expect(minutes.map((m) => [new Date(m.windowStart).toISOString(), m.count, m.min, m.max, m.sum])).toEqual(
      [
        ['2026-03-01T10:00:00.000Z', 2, 4, 10, 14],
        ['2026-03-01T10:01:00.000Z', 1, -2, -2, -2],
      ],
    );
    expect(avgOf(minutes[0] as AggregateRow)).toBe(7);
    const [hour] = window(aggregates, '1h');
    expect(hour).toMatchObject({ count: 3, numericCount: 3, min: -2, max: 10, sum: 12 });
    expect(hour?.last).toEqual(double(-2));
  });

  it('counts booleans, strings and json without numbers, and keeps min/max/sum null without numbers', () => {
    const records = onPartition(0, 0n, [
      assetEvent({ attribute: 'mode', value: { type: 'boolean', value: true } }),
      assetEvent({ attribute: 'mode', value: { type: 'string', value: 'auto' } }),
      assetEvent({ attribute: 'mode', value: { type: 'json', value: { a: [1, 2] } } }),
      assetEvent({ attribute: 'mode', value: { type: 'null', value: null } }),
    ]);
    const [minute] = window(project(records, new Map()).aggregates, '1m', 'mode');
    expect(minute).toMatchObject({ count: 4, numericCount: 0, min: null, max: null, sum: null });
    expect(avgOf(minute as AggregateRow)).toBeNull();
    expect(minute?.last).toEqual({ type: 'null', value: null });
  });

  it('mixes types in one window: only the numbers enter min, max, sum and avg', () => {
    const records = onPartition(0, 0n, [
      assetEvent({ value: double(3) }),
      assetEvent({ value: { type: 'boolean', value: true } }),
      assetEvent({ value: long(5) }),
      assetEvent({ value: { type: 'string', value: 'sensor fault' } }),
    ]);
    const [minute] = window(project(records, new Map()).aggregates, '1m');
    expect(minute).toMatchObject({ count: 4, numericCount: 2, min: 3, max: 5, sum: 8 });
    expect(avgOf(minute as AggregateRow)).toBe(4);
    expect(minute?.last).toEqual({ type: 'string', value: 'sensor fault' });
  });

  it('changes the state type of an attribute that changes type', () => {
    const first = projectInBatches([onPartition(0, 0n, [assetEvent({ value: double(1.5) })])]);
    expect(first.states.get('acme/press-1/temperature')?.value).toEqual(double(1.5));
    const second = projectInBatches([
      onPartition(0, 0n, [assetEvent({ value: double(1.5) })]),
      onPartition(0, 1n, [assetEvent({ value: { type: 'string', value: 'offline' } })]),
    ]);
    const state = second.states.get('acme/press-1/temperature');
    expect(state?.value).toEqual({ type: 'string', value: 'offline' });
    expect(valueColumns(state?.value ?? double(0))).toEqual({
      type: 'string',
      double: null,
      long: null,
      bool: null,
      string: 'offline',
      json: null,
    });
  });

  it('updates an older window with a late event without making it the last value', () => {
    const { windows } = projectInBatches([
      onPartition(0, 0n, [
        assetEvent({ value: double(1), ...at('2026-03-01T10:00:10Z') }),
        assetEvent({ value: double(2), ...at('2026-03-01T10:05:10Z') }),
      ]),
      onPartition(0, 2n, [assetEvent({ value: double(100), ...at('2026-03-01T10:00:05Z') })]),
    ]);
    const tenOClock = window(windows.values(), '1m').find(
      (w) => w.windowStart === Date.parse('2026-03-01T10:00:00Z'),
    );
    expect(tenOClock).toMatchObject({ count: 2, min: 1, max: 100, sum: 101 });
    expect(tenOClock?.last).toEqual(double(1));
    expect(tenOClock?.lastTime).toBe(Date.parse('2026-03-01T10:00:10Z'));
    const [hour] = window(windows.values(), '1h');
    expect(hour).toMatchObject({ count: 3, sum: 103 });
    expect(hour?.last).toEqual(double(2));
  });

  it('gives the later record the last value when two share a source time', () => {
    const records = onPartition(0, 0n, [assetEvent({ value: double(1) }), assetEvent({ value: double(2) })]);
    const [minute] = window(project(records, new Map()).aggregates, '1m');
    expect(minute?.last).toEqual(double(2));
  });

  it('gives the same rows whatever the batch boundaries', () => {
    const events = Array.from({ length: 40 }, (_, i) =>
      assetEvent({
        attribute: i % 3 === 0 ? 'pressure' : 'temperature',
        value: i % 5 === 0 ? long(i) : double(i * 0.1),
        ...at(new Date(Date.parse('2026-03-01T10:00:00Z') + ((i * 7919) % 180) * 1000).toISOString()),
      }),
    );
    const records = onPartition(1, 0n, events);
    const whole = projectInBatches([records]);
    const pieces = projectInBatches([
      records.slice(0, 7),
      records.slice(7, 8),
      records.slice(8, 31),
      records.slice(31),
    ]);
    expect([...pieces.windows.entries()].sort()).toEqual([...whole.windows.entries()].sort());
    expect([...pieces.states.entries()].sort()).toEqual([...whole.states.entries()].sort());
  });

  it('reads times with an offset as UTC', () => {
    const records = onPartition(0, 0n, [assetEvent({ ...at('2026-03-01T11:30:00+01:00') })]);
    const [hour] = window(project(records, new Map()).aggregates, '1h');
    expect(new Date(hour?.windowStart ?? 0).toISOString()).toBe('2026-03-01T10:00:00.000Z');
  });

  it('does not modify the current rows it is given', () => {
    const first = project(onPartition(0, 0n, [assetEvent({ value: double(1) })]), new Map());
    const current = new Map(first.aggregates.map((row) => [windowKey(row), row]));
    const before = structuredClone([...current.values()]);
    project(onPartition(0, 1n, [assetEvent({ value: double(5) })]), current);
    expect([...current.values()]).toEqual(before);
  });
});

describe('pendingRecords and advanceOffsets', () => {
  it('skips records below the stored next offset of their partition', () => {
    const records = [
      ...onPartition(0, 8n, [assetEvent(), assetEvent(), assetEvent()]),
      ...onPartition(3, 0n, [assetEvent()]),
    ];
    const pending = pendingRecords(records, new Map([[0, 10n]]));
    expect(pending.map((r) => `${r.partition}:${r.offset}`)).toEqual(['0:10', '3:0']);
  });

  it('never moves a stored offset backwards', () => {
    const next = advanceOffsets(
      new Map([
        [0, 50n],
        [1, 5n],
      ]),
      new Map([
        [0, 20n],
        [1, 9n],
        [2, 3n],
      ]),
    );
    expect(next).toEqual(
      new Map([
        [0, 50n],
        [1, 9n],
        [2, 3n],
      ]),
    );
  });

  it('lists each touched window once', () => {
    const windows = touchedWindows(
      onPartition(0, 0n, [assetEvent(), assetEvent(), assetEvent({ ...at('2026-03-01T10:01:00Z') })]),
    );
    const ms = (iso: string) => Date.parse(iso);
    expect([...windows.keys()].sort()).toEqual([
      `acme/press-1/temperature/1h/${ms('2026-03-01T10:00:00Z')}`,
      `acme/press-1/temperature/1m/${ms('2026-03-01T10:00:00Z')}`,
      `acme/press-1/temperature/1m/${ms('2026-03-01T10:01:00Z')}`,
    ]);
    expect([...windows.values()].map(aggregateKey).sort()).toEqual([
      'acme/press-1/temperature/1h/2026-03-01T10:00:00.000Z',
      'acme/press-1/temperature/1m/2026-03-01T10:00:00.000Z',
      'acme/press-1/temperature/1m/2026-03-01T10:01:00.000Z',
    ]);
  });
});

describe('value columns', () => {
  it.each([
    double(-0.125),
    long(2 ** 53 - 1),
    { type: 'boolean', value: false },
    { type: 'string', value: '' },
    { type: 'json', value: { nested: [1, 'x', null] } },
    { type: 'null', value: null },
  ] as const)('round-trips %j', (value) => {
    const c = valueColumns(value);
    const back = valueFromColumns({
      value_type: c.type,
      value_double: c.double,
      value_long: c.long === null ? null : String(c.long),
      value_bool: c.bool,
      value_string: c.string,
      value_json: c.json === null ? null : JSON.parse(c.json),
    });
    expect(back).toEqual(value);
    expect(typedValueOf(value.type, value.value)).toEqual(value);
  });
});

describe('topic messages', () => {
  it('are valid against the registry schemas and keyed per attribute and per window', () => {
    const { states, aggregates } = project(
      onPartition(4, 77n, [
        assetEvent({ unit: 'Cel', value: double(3) }),
        assetEvent({ value: { type: 'boolean', value: true } }),
      ]),
      new Map(),
    );
    const messages = batchMessages(states, aggregates);
    expect(messages.map((m) => m.key).sort()).toEqual([
      'acme/press-1/temperature',
      'acme/press-1/temperature/1h/2026-03-01T10:00:00.000Z',
      'acme/press-1/temperature/1m/2026-03-01T10:00:00.000Z',
    ]);
    for (const message of messages)
      expect(message.topic.schema.zod.safeParse(message.value).error).toBeUndefined();
    expect(stateMessage(states[0] as never)).toMatchObject({
      position: '4:78',
      value: { type: 'boolean', value: true },
    });
    const minute = aggregates.find((a) => a.window === '1m') as AggregateRow;
    expect(aggregateMessage(minute)).toMatchObject({
      windowStart: '2026-03-01T10:00:00.000Z',
      windowEnd: '2026-03-01T10:01:00.000Z',
      count: 2,
      min: 3,
      max: 3,
      avg: 3,
      sum: 3,
    });
    expect(topics.assetState.name).toBe('streaming.asset-state.v1');
  });
});
