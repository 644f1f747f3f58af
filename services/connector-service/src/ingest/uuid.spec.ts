import { describe, expect, it } from 'vitest';
import { uuidv7, uuidv7From } from './uuid.ts';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const timeOf = (id: string) => Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16);

describe('uuidv7', () => {
  it('puts the time first and random bits after it', () => {
    const ids = Array.from({ length: 1000 }, () => uuidv7(1_764_000_000_123));
    for (const id of ids) {
      expect(id).toMatch(UUID_V7);
      expect(timeOf(id)).toBe(1_764_000_000_123);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('uuidv7From', () => {
  it('derives the same id from the same name as every earlier release did', () => {
    // Pinned: a reading redelivered across an upgrade must keep its event id.
    expect(uuidv7From(1_764_000_000_000, 'x')).toBe('019ab697-e800-7044-8162-7ca9fbac32f5');
    expect(
      uuidv7From(1_764_000_000_000, 'acme\ngw-1\npress-1\ntemp\nsample\n7\n2025-11-24T16:00:00.000Z'),
    ).toBe(uuidv7From(1_764_000_000_000, 'acme\ngw-1\npress-1\ntemp\nsample\n7\n2025-11-24T16:00:00.000Z'));
  });

  it('gives every variant digit and keeps the time of small and large timestamps', () => {
    const ids = Array.from({ length: 200 }, (_, i) => uuidv7From(i * 1_000_003, `name-${i}`));
    for (const [i, id] of ids.entries()) {
      expect(id).toMatch(UUID_V7);
      expect(timeOf(id)).toBe(i * 1_000_003);
    }
    expect(new Set(ids.map((id) => id.charAt(19)))).toEqual(new Set(['8', '9', 'a', 'b']));
  });
});
