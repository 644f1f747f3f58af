import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { acceptorOf, compileAcceptor, parsePayload } from './acceptor.ts';
import { payloadSchema } from './model.ts';
import { platformRegistry, topics } from './platform.ts';
import type { AssetEvent } from './schemas/assets.ts';

/** A small seeded generator, so a failure names the case that made it. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (rnd: () => number, n: number) =>
  Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join('');
const uuidLike = (rnd: () => number) =>
  `${hex(rnd, 8)}-${hex(rnd, 4)}-${'0178'[Math.floor(rnd() * 4)]}${hex(rnd, 3)}-${'8a9c'[Math.floor(rnd() * 4)]}${hex(rnd, 3)}-${hex(rnd, 12)}`;

/** Values of every JSON type, near the edges the platform's schemas draw. */
function pool(rnd: () => number): unknown[] {
  return [
    '',
    'a',
    'acme',
    'Acme',
    'press-1',
    'bench-asset-17',
    'a.b',
    'a b',
    '-x',
    'x'.repeat(64),
    'x'.repeat(65),
    'x'.repeat(128),
    'x'.repeat(129),
    'mqtt',
    'http',
    'sample',
    'good',
    'double',
    uuidLike(rnd),
    uuidLike(rnd).toUpperCase(),
    '00000000-0000-0000-0000-000000000000',
    'not-a-uuid',
    new Date(Math.floor(rnd() * 4e12)).toISOString(),
    '2026-11-24T10:00:00+01:00',
    '2026-11-24T10:00:00',
    '2026-02-30T10:00:00Z',
    '2026-11-24',
    0,
    -0,
    1,
    -1,
    1.5,
    42,
    2 ** 53 - 1,
    2 ** 53,
    -(2 ** 53) + 1,
    1e300,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    true,
    false,
    null,
    undefined,
    {},
    [],
    ['a'],
    { type: 'double', value: 1 },
  ];
}

const pick = <T>(rnd: () => number, items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;

interface Node {
  _zod: { def: { type: string; [k: string]: unknown }; values?: Set<unknown> };
  safeParse(value: unknown): { success: boolean };
}

/** Per leaf schema, the pool's values Zod accepts (one pool per test run). */
const valid = new Map<Node, unknown[]>();

/**
 * A value for `schema`, valid where the pool or the schema's own values allow one (Zod picks
 * them), then bent by random mutations: dropped keys, unknown keys, values of the wrong type.
 */
function sample(schema: Node, rnd: () => number, values: unknown[], depth = 0): unknown {
  const def = schema._zod.def;
  const mutate = rnd() < 0.04;
  if (mutate) return pick(rnd, values);
  switch (def.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, field] of Object.entries(def.shape as Record<string, Node>)) {
        const r = rnd();
        if (r < 0.03) continue;
        if (field._zod.def.type === 'optional' && r < 0.35) continue;
        out[key] = sample(field, rnd, values, depth + 1);
      }
      if (rnd() < 0.05) out[pick(rnd, ['extra', 'constructor', '__proto__', 'value'])] = 1;
      return out;
    }
    case 'optional':
    case 'nullable':
      return rnd() < 0.1
        ? def.type === 'optional'
          ? undefined
          : null
        : sample(def.innerType as Node, rnd, values, depth);
    case 'union':
      return sample(pick(rnd, def.options as Node[]), rnd, values, depth);
    case 'array':
      return depth > 4
        ? []
        : Array.from({ length: Math.floor(rnd() * 3) }, () =>
            sample(def.element as Node, rnd, values, depth + 1),
          );
    default: {
      let candidates = valid.get(schema);
      if (!candidates) {
        const own = schema._zod.values ? [...schema._zod.values] : [];
        candidates = [...own, ...values].filter((v) => schema.safeParse(v).success);
        valid.set(schema, candidates);
      }
      return candidates.length > 0 && rnd() < 0.9 ? pick(rnd, candidates) : pick(rnd, values);
    }
  }
}

const now = '2026-11-24T10:00:00.000Z';
const event = (value: AssetEvent['value'], extra: Partial<AssetEvent> = {}): AssetEvent => ({
  eventId: '019ab3c5-5c55-7a4e-9a53-2b6f1f7c9d11',
  tenant: 'acme',
  assetId: 'press-1',
  kind: 'sample',
  attribute: 'temperature',
  value,
  quality: 'good',
  sourceTime: now,
  ingestTime: now,
  source: { protocol: 'http', replica: 'r1', device: 'line-1' },
  ...extra,
});

describe(compileAcceptor.name, () => {
  it('takes the asset events connectors write, as they are', () => {
    const accept = acceptorOf(topics.assetEvents.schema);
    expect(accept).toBeDefined();
    const events = [
      event({ type: 'double', value: 21.5 }, { sequence: 7, unit: 'degC' }),
      event({ type: 'long', value: -(2 ** 53) + 1 }),
      event({ type: 'boolean', value: false }),
      event({ type: 'string', value: 'open' }),
      event({ type: 'json', value: { nested: [1, 'two'] } }),
      event({ type: 'null', value: null }, { quality: 'bad' }),
      event(
        { type: 'json', value: { a: 1 } },
        { kind: 'command', commandId: '019ab3c5-5c55-7a4e-9a53-2b6f1f7c9d12' },
      ),
      JSON.parse(
        JSON.stringify(event({ type: 'double', value: 1 }, { sourceTime: '2026-11-24T11:00:00+01:00' })),
      ),
    ];
    for (const e of events) {
      expect(accept?.(e)).toBe(true);
      expect(topics.assetEvents.schema.zod.safeParse(e).success).toBe(true);
      const parsed = parsePayload(topics.assetEvents.schema, e);
      expect(parsed.success && parsed.data).toBe(e);
    }
  });

  it('leaves to Zod what it does not know to be valid as it is', () => {
    const accept = acceptorOf(topics.assetEvents.schema) as (v: unknown) => boolean;
    const good = event({ type: 'double', value: 1 });
    const cases: [string, unknown, boolean][] = [
      // [what, value, does Zod accept it]
      ['an unknown key (Zod strips it)', { ...good, note: 'x' }, true],
      ['a long that is not an integer', { ...good, value: { type: 'long', value: 1.5 } }, false],
      ['a long beyond 2^53', { ...good, value: { type: 'long', value: 2 ** 53 } }, false],
      ['NaN', { ...good, value: { type: 'double', value: Number.NaN } }, false],
      ['Infinity', { ...good, value: { type: 'double', value: Number.POSITIVE_INFINITY } }, false],
      ['a json value without its value key', { ...good, value: { type: 'json' } }, false],
      ['a tenant with capitals', { ...good, tenant: 'Acme' }, false],
      ['a time without an offset', { ...good, sourceTime: '2026-11-24T10:00:00' }, false],
      ['February 30th', { ...good, sourceTime: '2026-02-30T10:00:00Z' }, false],
      ['a negative sequence', { ...good, sequence: -1 }, false],
      ['an empty replica', { ...good, source: { ...good.source, replica: '' } }, false],
      ['a missing quality', { ...good, quality: undefined }, false],
      ['an array', [good], false],
      [
        'a class instance (Zod copies it into a plain object)',
        Object.assign(new (class Event {})(), good),
        true,
      ],
    ];
    for (const [what, value, zodSays] of cases) {
      expect(accept(value), what).toBe(false);
      expect(topics.assetEvents.schema.zod.safeParse(value).success, what).toBe(zodSays);
      expect(parsePayload(topics.assetEvents.schema, value).success, what).toBe(zodSays);
    }
  });

  it('never takes a value Zod would reject or change, for any schema of the registry', () => {
    const schemas = new Set([...platformRegistry.topics, ...platformRegistry.subjects].map((d) => d.schema));
    let compiled = 0;
    let accepted = 0;
    let checked = 0;
    for (const schema of schemas) {
      const accept = acceptorOf(schema);
      if (!accept) continue;
      compiled++;
      const rnd = random(compiled * 7919);
      const values = pool(rnd);
      valid.clear();
      for (let i = 0; i < 5_000; i++) {
        const value = sample(schema.zod as unknown as Node, rnd, values);
        checked++;
        if (!accept(value)) continue;
        accepted++;
        const parsed = schema.zod.safeParse(value);
        expect(parsed.success, `${schema.id} case ${i}: ${JSON.stringify(value)}`).toBe(true);
        expect(parsed.data, `${schema.id} case ${i}`).toStrictEqual(value);
      }
    }
    // The run means something only if most schemas compile and the yes branch is taken often.
    expect(compiled).toBeGreaterThanOrEqual(schemas.size / 2);
    expect(accepted).toBeGreaterThan(checked / 10);
  });

  it('compiles nothing it cannot answer for exactly', () => {
    const uncovered: [string, z.ZodType][] = [
      ['a default', z.object({ a: z.string().default('x') })],
      ['a transform', z.string().transform((s) => s.length)],
      ['a refinement', z.string().refine((s) => s !== 'x')],
      ['trimming', z.string().trim()],
      ['a URL (checked by code, not a pattern)', z.url()],
      ['a record', z.record(z.string(), z.number())],
      ['a coercion', z.coerce.number()],
      ['a refined object', z.object({ a: z.number() }).refine((o) => o.a > 1)],
      ['a global pattern', z.string().regex(/a/g)],
      ['a key named like an Object.prototype member', z.object({ toString: z.string() })],
    ];
    for (const [what, schema] of uncovered) expect(compileAcceptor(schema), what).toBeUndefined();
    const other = payloadSchema('a.thing', 1, z.object({ at: z.date() }));
    expect(acceptorOf(other)).toBeUndefined();
    expect(parsePayload(other, { at: new Date(0) })).toMatchObject({ success: true });
    expect(parsePayload(other, { at: 'then' })).toMatchObject({ success: false });
  });

  it('reads keys by their exact names, whatever characters they hold', () => {
    // The acceptor is generated source (ADR 0032): a key must stay a string, never become code.
    const odd = ['a"b', "c'd", 'e\\f', 'g\nh', 'i\u2028j', `\`${'$'}{k}`, '*/ return true; /*', 'é'];
    const schema = z.object(Object.fromEntries(odd.map((key, i) => [key, z.literal(i)])));
    const accept = compileAcceptor(schema) as (v: unknown) => boolean;
    const good = Object.fromEntries(odd.map((key, i) => [key, i]));
    expect(accept(good)).toBe(true);
    expect(schema.safeParse(good).data).toStrictEqual(good);
    for (const key of odd) {
      const { [key]: _, ...missing } = good;
      expect(accept(missing), key).toBe(false);
      expect(accept({ ...good, [key]: -1 }), key).toBe(false);
    }
    expect(accept({ ...good, ab: 1 })).toBe(false);
  });

  it('checks every item of nested arrays and every option of nested unions', () => {
    const schema = z.object({
      rows: z.array(z.array(z.union([z.int().min(0), z.object({ n: z.string().max(2) })])).min(1)),
    });
    const accept = compileAcceptor(schema) as (v: unknown) => boolean;
    expect(accept({ rows: [[1, { n: 'ab' }], [2]] })).toBe(true);
    expect(accept({ rows: [] })).toBe(true);
    expect(accept({ rows: [[1], []] })).toBe(false);
    expect(accept({ rows: [[1], [-1]] })).toBe(false);
    expect(accept({ rows: [[1], [{ n: 'abc' }]] })).toBe(false);
    expect(accept({ rows: [[1], [{ n: 'a', m: 1 }]] })).toBe(false);
    expect(accept({ rows: [[1], ['1']] })).toBe(false);
  });

  it('follows Zod on what a missing key means', () => {
    const accept = compileAcceptor(
      z.object({ any: z.unknown(), maybe: z.string().optional(), n: z.int().nullable() }),
    ) as (v: unknown) => boolean;
    expect(accept({ any: 1, n: null })).toBe(true);
    expect(accept({ any: undefined, maybe: undefined, n: 3 })).toBe(true);
    // z.unknown() takes undefined, but not a missing key.
    expect(accept({ n: 1 })).toBe(false);
    expect(accept({ any: 1, n: 1.5 })).toBe(false);
    expect(accept(Object.assign(Object.create(null), { any: 1, n: 2 }))).toBe(true);
  });
});
