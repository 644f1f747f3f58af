import { describe, expect, it } from 'vitest';
import { canonicalIsoMillis, isoMillis } from './time.ts';

describe('canonicalIsoMillis', () => {
  it('reads toISOString text exactly as Date.parse does', () => {
    // Seeded spread over years 0000-9999, leap days and the edges of each field included.
    let seed = 42;
    const random = () => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return seed / 2 ** 32;
    };
    const low = Date.parse('0000-01-01T00:00:00.000Z');
    const high = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
    const times = [low, high, Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(2000, 1, 29), 0];
    for (let i = 0; i < 20_000; i++) times.push(Math.floor(low + random() * (high - low)));
    for (const ms of times) {
      const text = new Date(ms).toISOString();
      expect(canonicalIsoMillis(text)).toBe(ms);
      expect(isoMillis(text)).toBe(ms);
    }
  });

  it('leaves every other form to the general parser', () => {
    for (const text of [
      '2026-11-24T06:00:00Z',
      '2026-11-24T06:00:00.1234Z',
      '2026-11-24T07:00:00.000+01:00',
      '2026-11-24 06:00:00.000Z',
      '+012026-11-24T06:00:00.000Z',
      '',
    ]) {
      expect(canonicalIsoMillis(text)).toBeUndefined();
    }
    expect(isoMillis('2026-11-24T07:00:00.000+01:00')).toBe(Date.UTC(2026, 10, 24, 6));
  });

  it('refuses impossible dates and times instead of rolling them over', () => {
    for (const text of [
      '2026-02-29T00:00:00.000Z',
      '1900-02-29T00:00:00.000Z',
      '2026-04-31T00:00:00.000Z',
      '2026-13-01T00:00:00.000Z',
      '2026-00-10T00:00:00.000Z',
      '2026-11-00T00:00:00.000Z',
      '2026-11-24T24:00:00.000Z',
      '2026-11-24T06:60:00.000Z',
      '2026-11-24T06:00:60.000Z',
      '2026-11-24T06:00:00.0a0Z',
      '2026-1x-24T06:00:00.000Z',
    ]) {
      expect(canonicalIsoMillis(text)).toBeUndefined();
    }
    expect(canonicalIsoMillis('2024-02-29T00:00:00.000Z')).toBe(Date.UTC(2024, 1, 29));
    expect(canonicalIsoMillis('2000-02-29T00:00:00.000Z')).toBe(Date.UTC(2000, 1, 29));
    expect(canonicalIsoMillis('0099-12-31T23:59:59.999Z')).toBe(Date.parse('0099-12-31T23:59:59.999Z'));
  });
});
