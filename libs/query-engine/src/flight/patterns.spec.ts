import { describe, expect, it } from 'vitest';
import { matchesPattern } from './flight-sql-server.ts';

describe('matchesPattern', () => {
  it('treats % as any run and _ as one character', () => {
    expect(matchesPattern('orders_2024', 'orders%')).toBe(true);
    expect(matchesPattern('order', 'order_')).toBe(false);
    expect(matchesPattern('orders', 'order_')).toBe(true);
  });

  it('honours the backslash escape and matches literally otherwise', () => {
    expect(matchesPattern('a_b', 'a\\_b')).toBe(true);
    expect(matchesPattern('axb', 'a\\_b')).toBe(false);
    expect(matchesPattern('a.b', 'a.b')).toBe(true);
    expect(matchesPattern('axb', 'a.b')).toBe(false);
  });

  it('matches everything when no pattern is given', () => {
    expect(matchesPattern('anything', undefined)).toBe(true);
  });
});
