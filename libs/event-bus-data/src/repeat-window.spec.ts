import { describe, expect, it } from 'vitest';
import { RepeatWindow, repeatIdOf } from './repeat-window.ts';

const id = (n: number) => `01890000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;

/** The rule straight from its definition: the same id among the `size` offsets before. */
function naive(ids: readonly (string | undefined)[], size: number): boolean[] {
  return ids.map((x, offset) => {
    if (x === undefined) return false;
    for (let o = Math.max(0, offset - size); o < offset; o++)
      if (ids[o]?.toLowerCase() === x.toLowerCase()) return true;
    return false;
  });
}

describe('RepeatWindow', () => {
  it('marks an id repeated within the window and not one repeated after it', () => {
    const w = new RepeatWindow(3, 0n);
    const verdicts = [1, 2, 3, 1, 4, 5, 6, 1, 6].map((n) => w.append(id(n)));
    expect(verdicts).toEqual([false, false, false, true, false, false, false, false, true]);
    expect(w.next).toBe(9n);
    expect(w.start).toBe(6n);
  });

  it('gives an offset it still holds its first verdict, and cannot tell for one past the end or too old', () => {
    const w = new RepeatWindow(4, 100n);
    for (const n of [1, 2, 1, 3, 4]) w.append(id(n));
    expect(w.check(101n, id(2))).toBe(false);
    expect(w.check(102n, id(1))).toBe(true);
    expect(w.check(100n, id(1))).toBeUndefined(); // 101..104 are held: 100 made room

    expect(w.check(106n, id(9))).toBeUndefined();
    expect(w.check(105n, id(3))).toBe(true);
    expect(w.next).toBe(106n);
  });

  it('never marks a record without an id, and ids compare without case', () => {
    const w = new RepeatWindow(10, 0n);
    expect([undefined, undefined].map((x) => w.append(x))).toEqual([false, false]);
    w.append(id(0xabc));
    expect(w.append(id(0xabc).toUpperCase())).toBe(true);
  });

  it('agrees with the rule on long random streams (eviction and probing)', () => {
    let seed = 7;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    for (const [size, pool] of [
      [1, 3],
      [7, 20],
      [50, 120],
      [300, 400],
    ] as const) {
      const ids = Array.from({ length: 20_000 }, () =>
        random() < 0.05 ? undefined : id(Math.floor(random() * pool)),
      );
      const w = new RepeatWindow(size, 0n);
      expect(ids.map((x) => w.append(x))).toEqual(naive(ids, size));
    }
  });

  it('refuses a window without room', () => {
    expect(() => new RepeatWindow(0, 0n)).toThrow(/positive size/);
  });
});

describe('repeatIdOf', () => {
  const rule = { idField: 'eventId', window: 10 };
  it('takes a UUID from the field and nothing else', () => {
    expect(repeatIdOf(rule, { eventId: id(1) })).toBe(id(1));
    expect(repeatIdOf(rule, { eventId: 'not-a-uuid' })).toBeUndefined();
    expect(repeatIdOf(rule, { eventId: 42 })).toBeUndefined();
    expect(repeatIdOf(rule, { other: id(1) })).toBeUndefined();
    expect(repeatIdOf(rule, null)).toBeUndefined();
    expect(repeatIdOf(rule, new Uint8Array(4))).toBeUndefined();
  });
});
