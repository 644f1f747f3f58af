import { readTopic } from '@openfoundry/bus-registry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusError, BusErrorCode, parseLineage } from '../src/index.ts';
import { type DataFixture, dataFixture, type Reading, reading } from './factories.ts';

let fx: DataFixture;
beforeAll(async () => {
  fx = await dataFixture({ maxMessageBytes: 4096 });
});
afterAll(async () => {
  await fx?.teardown();
});

async function rejection(promise: Promise<unknown>): Promise<BusError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BusError);
    return error as BusError;
  }
  throw new Error('expected a BusError, got success');
}

const readBack = (count: number, asset: string) =>
  readTopic(
    fx.readings.name,
    (records) => records.filter((r) => (r.value as Reading).asset === asset).length >= count,
    60_000,
  ).then((records) => records.filter((r) => (r.value as Reading).asset === asset));

describe('Publisher', () => {
  describe('publishValidated', () => {
    it('sends the values validate() accepted, in order, each with its own event time and the lineage', async () => {
      const bus = await fx.bus(fx.names.producer, { namespace: 'openfoundry.test' });
      const pub = bus.publisher(fx.readings, { job: `${fx.names.producer}.normalise` });
      const asset = 'validated-1';
      const values = [0, 1, 2].map((seq) => {
        const checked = pub.validate(reading(asset, seq));
        if (!checked.ok) throw new Error('a valid reading was refused');
        return checked.value;
      });
      const base = Date.parse('2026-06-01T12:00:00.000Z');
      // Two records in one millisecond, one in the next.
      const times = [base, base, base + 1];
      const results = await pub.publishValidated(
        values.map((value, i) => ({ key: asset, value, timestamp: times[i] })),
      );
      expect(results.map((r) => r.offset - (results[0]?.offset ?? 0n))).toEqual([0n, 1n, 2n]);

      const records = await readBack(3, asset);
      expect(records.map((r) => r.value)).toEqual([reading(asset, 0), reading(asset, 1), reading(asset, 2)]);
      // One platform header per record (ADR 0019): the lineage, with each record's own event time.
      expect(records.map((r) => Object.keys(r.headers))).toEqual([['ol'], ['ol'], ['ol']]);
      expect(records.map((r) => parseLineage(r.headers)?.eventTime)).toEqual([
        '2026-06-01T12:00:00.000Z',
        '2026-06-01T12:00:00.000Z',
        '2026-06-01T12:00:00.001Z',
      ]);
      for (const record of records)
        expect(parseLineage(record.headers)).toEqual({
          namespace: 'openfoundry.test',
          jobName: `${fx.names.producer}.normalise`,
          runId: bus.runId,
          eventTime: expect.stringMatching(/^2026-06-01T12:00:00\.00[01]Z$/),
          producer: `https://openfoundry.dev/services/${fx.names.producer}`,
          schemaUrl: fx.readings.schema.url,
        });
    });

    it('sends the bytes that were validated even when the value was changed afterwards', async () => {
      const bus = await fx.bus(fx.names.producer);
      const pub = bus.publisher(fx.readings, { job: `${fx.names.producer}.normalise` });
      const asset = 'validated-2';
      const checked = pub.validate(reading(asset, 5));
      if (!checked.ok) throw new Error('a valid reading was refused');
      (checked.value as { seq: unknown }).seq = 'not a number';
      await pub.publishValidated([{ key: asset, value: checked.value }]);
      const [record] = await readBack(1, asset);
      expect(record?.value).toEqual(reading(asset, 5));
    });

    it('refuses, before sending any, a value that did not come out of validate()', async () => {
      const bus = await fx.bus(fx.names.producer);
      const pub = bus.publisher(fx.readings, { job: `${fx.names.producer}.normalise` });
      const checked = pub.validate(reading('validated-3', 0));
      if (!checked.ok) throw new Error('a valid reading was refused');
      const unchecked = reading('validated-3', 1) as Parameters<typeof pub.publishValidated>[0][0]['value'];
      const error = await rejection(
        pub.publishValidated([
          { key: 'validated-3', value: checked.value },
          { key: 'validated-3', value: unchecked },
        ]),
      );
      expect(error.code).toBe(BusErrorCode.InvalidPayload);
      expect(error.message).toMatch(/only values from validate\(\)/);
      expect(pub.isValidated(checked.value)).toBe(true);
      expect(pub.isValidated(unchecked)).toBe(false);
      await bus.flush();
      // Nothing of the refused call was sent: the topic holds only what was published after it.
      const [sent] = await pub.publishValidated([{ key: 'validated-3', value: checked.value }]);
      const records = await readBack(1, 'validated-3');
      expect(records.map((r) => r.value)).toEqual([reading('validated-3', 0)]);
      expect(sent?.offset).toBeGreaterThanOrEqual(0n);
    });

    it('reports what is wrong with a value validate() refuses', async () => {
      const bus = await fx.bus(fx.names.producer);
      const pub = bus.publisher(fx.readings, { job: `${fx.names.producer}.normalise` });
      const checked = pub.validate({ asset: 'validated-4', seq: -1, value: 'x' });
      expect(checked.ok).toBe(false);
      if (checked.ok) return;
      expect(checked.issues.map((i) => i.path.join('.'))).toEqual(['seq', 'value']);
    });

    it('still refuses a record over the topic limit', async () => {
      const bus = await fx.bus(fx.names.producer);
      const pub = bus.publisher(fx.readings, { job: `${fx.names.producer}.normalise` });
      const checked = pub.validate(reading('validated-5', 0, 8192));
      if (!checked.ok) throw new Error('a valid reading was refused');
      const error = await rejection(pub.publishValidated([{ key: 'validated-5', value: checked.value }]));
      expect(error.code).toBe(BusErrorCode.TooLarge);
    });
  });

  describe('publishMany', () => {
    it('keeps a record’s own headers next to the lineage header', async () => {
      const bus = await fx.bus(fx.names.producer);
      const pub = bus.publisher(fx.readings, { job: `${fx.names.producer}.normalise` });
      const asset = 'headers-1';
      await pub.publishMany([
        { key: asset, value: reading(asset, 0), headers: { 'x-origin': 'a' } },
        { key: asset, value: reading(asset, 1) },
      ]);
      const records = await readBack(2, asset);
      expect(records.map((r) => r.headers['x-origin'])).toEqual(['a', undefined]);
      for (const record of records)
        expect(parseLineage(record.headers)?.jobName).toBe(`${fx.names.producer}.normalise`);
    });
  });
});
