import { describe, expect, it } from 'vitest';
import { deepMerge, mergePatch, resolveEffectiveSettings } from './settings.ts';

const layer = (id: string, settings: Record<string, unknown>) => ({ id, slug: `slug-${id}`, settings });

describe(resolveEffectiveSettings.name, () => {
  it('lets a child override its parent key by key, deeply', () => {
    const effective = resolveEffectiveSettings([
      layer('root', {
        timezone: 'UTC',
        units: { temperature: 'celsius', pressure: 'bar' },
        retentionDays: 30,
      }),
      layer('plant', { timezone: 'America/Chicago', units: { temperature: 'fahrenheit' } }),
    ]);
    expect(effective.settings).toEqual({
      timezone: 'America/Chicago',
      units: { temperature: 'fahrenheit', pressure: 'bar' },
      retentionDays: 30,
    });
  });

  it('names the nearest tenant that set each top-level key', () => {
    const effective = resolveEffectiveSettings([
      layer('root', { a: 1, b: 1 }),
      layer('mid', { b: 2, c: 2 }),
      layer('leaf', { c: 3 }),
    ]);
    expect(effective.sources).toEqual({
      a: { tenantId: 'root', slug: 'slug-root' },
      b: { tenantId: 'mid', slug: 'slug-mid' },
      c: { tenantId: 'leaf', slug: 'slug-leaf' },
    });
    expect(effective.tenantId).toBe('leaf');
    expect(effective.chain.map((t) => t.id)).toEqual(['root', 'mid', 'leaf']);
  });

  it('replaces arrays instead of concatenating them', () => {
    expect(
      resolveEffectiveSettings([layer('p', { tags: ['a', 'b'] }), layer('c', { tags: ['c'] })]).settings,
    ).toEqual({
      tags: ['c'],
    });
  });

  it('resolves a root to its own settings', () => {
    expect(resolveEffectiveSettings([layer('root', { x: 1 })]).settings).toEqual({ x: 1 });
  });
});

describe(deepMerge.name, () => {
  it('does not mutate its inputs', () => {
    const base = { a: { b: 1 } };
    deepMerge(base, { a: { c: 2 } });
    expect(base).toEqual({ a: { b: 1 } });
  });
});

describe(mergePatch.name, () => {
  it('merges objects and removes keys set to null (RFC 7396)', () => {
    expect(mergePatch({ a: 1, b: { c: 1, d: 1 }, e: 1 }, { b: { d: null, f: 2 }, e: null, g: [1] })).toEqual({
      a: 1,
      b: { c: 1, f: 2 },
      g: [1],
    });
  });
});
