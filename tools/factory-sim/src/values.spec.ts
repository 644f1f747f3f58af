import { describe, expect, it } from 'vitest';
import { attributeSpecs } from './layout.ts';
import { ValueGenerator } from './values.ts';

const attributes = attributeSpecs(8);
const byKind = (kind: string) => {
  const index = attributes.findIndex((a) => a.kind === kind);
  return { index, spec: attributes[index] as (typeof attributes)[number] };
};
const series = (generator: ValueGenerator, asset: number, kind: string, n = 500) => {
  const { index, spec } = byKind(kind);
  return Array.from({ length: n }, (_, seq) => generator.value(asset, index, spec, seq));
};

describe(ValueGenerator.name, () => {
  it('gives the same values for the same seed, in any order of asking', () => {
    const a = new ValueGenerator(42);
    const b = new ValueGenerator(42);
    for (const kind of ['double', 'long', 'boolean', 'string']) {
      const forward = series(a, 3, kind);
      const { index, spec } = byKind(kind);
      const backward = Array.from({ length: 500 }, (_, i) => b.value(3, index, spec, 499 - i)).reverse();
      expect(backward).toEqual(forward);
    }
  });

  it('gives different values for another seed and another asset', () => {
    const a = series(new ValueGenerator(1), 0, 'double');
    expect(series(new ValueGenerator(2), 0, 'double')).not.toEqual(a);
    expect(series(new ValueGenerator(1), 1, 'double')).not.toEqual(a);
  });

  it('produces each attribute kind with its JSON type', () => {
    const generator = new ValueGenerator(7);
    for (const value of series(generator, 0, 'double')) expect(typeof value).toBe('number');
    for (const value of series(generator, 0, 'long')) expect(Number.isSafeInteger(value)).toBe(true);
    expect(new Set(series(generator, 0, 'boolean', 5000))).toEqual(new Set([true, false]));
    const conditions = new Set(series(generator, 0, 'string', 20_000));
    expect(
      [...conditions].every((c) => ['ok', 'warning', 'alarm', 'maintenance'].includes(c as string)),
    ).toBe(true);
    expect(conditions.has('ok')).toBe(true);
    expect(conditions.size).toBeGreaterThan(1);
  });

  it('keeps counters strictly increasing', () => {
    const counts = series(new ValueGenerator(9), 4, 'long') as number[];
    for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeGreaterThan(counts[i - 1] as number);
  });

  it('keeps doubles to three decimals and varies them', () => {
    const values = series(new ValueGenerator(5), 2, 'double') as number[];
    for (const v of values) expect(Math.round(v * 1000) / 1000).toBe(v);
    expect(new Set(values).size).toBeGreaterThan(100);
  });

  it('rejects a seed that is not a non-negative integer', () => {
    expect(() => new ValueGenerator(-1)).toThrow(/seed/);
    expect(() => new ValueGenerator(1.5)).toThrow(/seed/);
  });
});
