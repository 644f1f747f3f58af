import type { AssetEvent } from '@openfoundry/bus-registry';
import { describe, expect, it } from 'vitest';
import { type NormaliseContext, normalise, parseTime, typeJson, typePlain } from './normalise.ts';

const now = new Date('2026-06-01T12:00:00.000Z');
const ctx: NormaliseContext = {
  tenant: 'acme',
  device: 'gw-1',
  protocol: 'mqtt',
  replica: 'r1',
  now,
  maxFutureSkewMs: 60_000,
  maxAgeMs: 3_600_000,
};

describe('typePlain', () => {
  it('infers numbers, booleans and text', () => {
    expect(typePlain(' 42.5 ', undefined)).toEqual({ ok: true, value: { type: 'double', value: 42.5 } });
    expect(typePlain('false', undefined)).toEqual({ ok: true, value: { type: 'boolean', value: false } });
    expect(typePlain('open', undefined)).toEqual({ ok: true, value: { type: 'string', value: 'open' } });
  });

  it('types by the point and rejects text that does not fit', () => {
    expect(typePlain('7', 'long')).toEqual({ ok: true, value: { type: 'long', value: 7 } });
    expect(typePlain('7.5', 'long')).toMatchObject({ ok: false, reason: 'wrong-type' });
    expect(typePlain('high', 'double')).toMatchObject({ ok: false, reason: 'wrong-type' });
    expect(typePlain('{"a":', 'json')).toMatchObject({ ok: false, reason: 'unparsable' });
  });
});

describe('typeJson', () => {
  it('keeps structured values as json and rejects a mismatching type', () => {
    expect(typeJson({ a: 1 }, undefined)).toEqual({ ok: true, value: { type: 'json', value: { a: 1 } } });
    expect(typeJson(null, 'double')).toEqual({ ok: true, value: { type: 'null', value: null } });
    expect(typeJson('1', 'double')).toMatchObject({ ok: false, reason: 'wrong-type' });
  });
});

describe('parseTime', () => {
  it('reads ISO text and epoch milliseconds, nothing else', () => {
    expect(parseTime('2026-06-01T11:59:00Z')).toEqual({
      ms: Date.UTC(2026, 5, 1, 11, 59),
      iso: '2026-06-01T11:59:00.000Z',
    });
    expect(parseTime('2026-06-01T13:59:00.5+02:00')?.iso).toBe('2026-06-01T11:59:00.500Z');
    expect(parseTime(now.getTime())).toEqual({ ms: now.getTime(), iso: now.toISOString() });
    expect(parseTime('yesterday')).toBeUndefined();
    expect(parseTime('1717243200')).toBeUndefined();
    expect(parseTime(1e20)).toBeUndefined();
    expect(parseTime(Number.NaN)).toBeUndefined();
  });

  it('keeps text already in the event form as it is', () => {
    const text = '2026-06-01T11:59:00.123Z';
    expect(parseTime(text)).toEqual({ ms: Date.parse(text), iso: text });
  });
});

describe('normalise', () => {
  it('builds an asset event with a UUID v7, the device time and the sequence', () => {
    const result = normalise(
      {
        asset: 'press-1',
        attribute: 'temp',
        value: '21.5',
        plainText: true,
        ts: '2026-06-01T11:59:30Z',
        seq: 9,
      },
      ctx,
    );
    expect(result).toMatchObject({
      ok: true,
      value: {
        tenant: 'acme',
        assetId: 'press-1',
        kind: 'sample',
        value: { type: 'double', value: 21.5 },
        quality: 'good',
        sourceTime: '2026-06-01T11:59:30.000Z',
        ingestTime: now.toISOString(),
        sequence: 9,
        source: { protocol: 'mqtt', replica: 'r1', device: 'gw-1' },
      },
    });
    expect(result.ok && result.value.eventId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('gives every kind of bad reading its reason', () => {
    const base = { asset: 'press-1', attribute: 'temp', value: 1 };
    expect(normalise({ ...base, asset: 'no/slash' }, ctx)).toMatchObject({ reason: 'unknown-asset' });
    expect(normalise(base, { ...ctx, allowedAssets: ['press-2'] })).toMatchObject({
      reason: 'unknown-asset',
    });
    expect(normalise({ ...base, ts: now.getTime() + 120_000 }, ctx)).toMatchObject({
      reason: 'out-of-range-time',
    });
    expect(normalise({ ...base, ts: now.getTime() - 7_200_000 }, ctx)).toMatchObject({
      reason: 'out-of-range-time',
    });
    expect(normalise({ ...base, ts: 'soon' }, ctx)).toMatchObject({ reason: 'schema' });
    // Past what a Date can hold: refused, not a RangeError while writing its text.
    expect(normalise({ ...base, ts: 1e20 }, ctx)).toMatchObject({ reason: 'schema' });
    const anyAge = { ...ctx, maxAgeMs: Number.POSITIVE_INFINITY, maxFutureSkewMs: Number.POSITIVE_INFINITY };
    expect(normalise({ ...base, ts: Date.UTC(10_000, 0, 1) }, anyAge)).toMatchObject({
      reason: 'out-of-range-time',
    });
    expect(normalise({ ...base, ts: Date.UTC(-1, 0, 1) }, anyAge)).toMatchObject({
      reason: 'out-of-range-time',
    });
    expect(normalise({ ...base, ts: '9999-12-31T23:59:59.999Z' }, anyAge)).toMatchObject({ ok: true });
    expect(normalise({ ...base, seq: -1 }, ctx)).toMatchObject({ reason: 'schema' });
    expect(normalise({ ...base, quality: 'great' }, ctx)).toMatchObject({ reason: 'schema' });
    expect(normalise({ ...base, attribute: 'a.b' }, ctx)).toMatchObject({ reason: 'schema' });
  });
});

describe('event ids', () => {
  const reading = {
    asset: 'press-1',
    attribute: 'temp',
    value: 21.5,
    seq: 7,
    ts: '2026-06-01T11:59:00.000Z',
  };
  const idOf = (observation: Parameters<typeof normalise>[0], context = ctx) => {
    const result = normalise(observation, context);
    if (!result.ok) throw new Error(result.detail);
    return result.value.eventId;
  };

  it('gives a reading with sequence and source time the same UUID v7 each time it is delivered', () => {
    const id = idOf(reading);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(idOf(reading, { ...ctx, now: new Date(now.getTime() + 5_000), replica: 'r2' })).toBe(id);
    // Its time part is the source time.
    expect(Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16)).toBe(Date.parse(reading.ts));
  });

  it('tells readings apart by tenant, device, asset, attribute, sequence and source time', () => {
    const id = idOf(reading);
    expect(idOf({ ...reading, seq: 8 })).not.toBe(id);
    expect(idOf({ ...reading, ts: '2026-06-01T11:59:00.001Z' })).not.toBe(id);
    expect(idOf({ ...reading, attribute: 'pressure' })).not.toBe(id);
    expect(idOf({ ...reading, asset: 'press-2' })).not.toBe(id);
    expect(idOf(reading, { ...ctx, device: 'gw-2' })).not.toBe(id);
    expect(idOf(reading, { ...ctx, tenant: 'globex' })).not.toBe(id);
  });

  it('gives readings without a sequence or without a source time a new id every time', () => {
    const { seq: _seq, ...unsequenced } = reading;
    expect(idOf(unsequenced)).not.toBe(idOf(unsequenced));
    const { ts: _ts, ...untimed } = reading;
    expect(idOf(untimed)).not.toBe(idOf(untimed));
  });
});

describe('normalise with a validator', () => {
  const reading = { asset: 'press-1', attribute: 'temp', value: 21.5 };

  it('returns what the validator accepted', () => {
    const checked: AssetEvent[] = [];
    const result = normalise(reading, {
      ...ctx,
      validate: (event) => {
        const copy = { ...event, unit: 'checked' };
        checked.push(event);
        return { ok: true, value: copy };
      },
    });
    expect(checked).toHaveLength(1);
    expect(result).toMatchObject({ ok: true, value: { assetId: 'press-1', unit: 'checked' } });
  });

  it('turns the first issue it reports into a schema rejection', () => {
    const result = normalise(reading, {
      ...ctx,
      validate: () => ({
        ok: false,
        issues: [
          { path: ['source', 'replica'], message: 'too long' },
          { path: ['tenant'], message: 'bad' },
        ],
      }),
    });
    expect(result).toEqual({ ok: false, reason: 'schema', detail: 'source.replica: too long' });
  });

  it('is not needed: without one the registry schema is checked', () => {
    const result = normalise(reading, { ...ctx, replica: 'r'.repeat(129) });
    expect(result).toMatchObject({
      ok: false,
      reason: 'schema',
      detail: expect.stringMatching(/^source\.replica: /),
    });
  });
});
