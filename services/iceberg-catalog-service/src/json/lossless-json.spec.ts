import { describe, expect, it } from 'vitest';
import { parseJson, sameLong, stringifyJson } from './lossless-json.ts';

describe('lossless JSON', () => {
  it('keeps a 63-bit snapshot id exact through a round trip', () => {
    const text = '{"snapshot-id":7393810383728478263,"small":42,"ratio":0.5,"neg":-9007199254740993}';
    const parsed = parseJson(text) as Record<string, unknown>;
    expect(parsed['snapshot-id']).toBe(7393810383728478263n);
    expect(parsed.small).toBe(42);
    expect(parsed.neg).toBe(-9007199254740993n);
    expect(stringifyJson(parsed)).toBe(text);
  });

  it('leaves floats in exponent form as numbers', () => {
    expect(parseJson('{"x":1e300}')).toEqual({ x: 1e300 });
  });

  it('compares ids across representations', () => {
    expect(sameLong(5, 5n)).toBe(true);
    expect(sameLong(7393810383728478263n, 7393810383728478263n)).toBe(true);
    expect(sameLong(null, undefined)).toBe(false);
    expect(sameLong(null, null)).toBe(true);
  });
});
