import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusErrorCode, type BusMessage, type ControlBus } from '../src/index.ts';
import {
  type ControlFixture,
  connectAs,
  provisionFixture,
  teardownFixture,
  until,
} from './support/fixture.ts';

type Reading = { asset: string; value: number };

let f: ControlFixture;
const buses: ControlBus[] = [];

beforeAll(async () => {
  f = await provisionFixture();
});

afterAll(async () => {
  await Promise.all(buses.map((bus) => bus.close()));
  if (f) await teardownFixture(f);
});

async function bus(service: string): Promise<ControlBus> {
  const connected = await connectAs(f, service);
  buses.push(connected);
  return connected;
}

describe('fan-out subscriptions', () => {
  it('give every subscriber every message, and narrow to the tokens given', async () => {
    const [owner, b, c, bAcme] = await Promise.all([bus(f.a), bus(f.b), bus(f.c), bus(f.b)]);
    const got = {
      b: [] as BusMessage<Reading>[],
      c: [] as BusMessage<Reading>[],
      bAcme: [] as BusMessage<Reading>[],
    };
    const subs = [
      b.subscribe(f.subjects.reading, { handler: async (m) => void got.b.push(m) }),
      c.subscribe(f.subjects.reading, { handler: async (m) => void got.c.push(m) }),
      bAcme.subscribe(f.subjects.reading, {
        tokens: { tenant: 'acme' },
        handler: async (m) => void got.bAcme.push(m),
      }),
    ];
    await Promise.all(subs.map((s) => s.ready));
    expect(subs.map((s) => s.subject)).toEqual([
      `${f.run}-a.*.*.reading`,
      `${f.run}-a.*.*.reading`,
      `${f.run}-a.acme.*.reading`,
    ]);

    const publisher = owner.publisher(f.subjects.reading);
    const sent = [
      { tenant: 'globex', asset: 'pump-1', value: 1 },
      { tenant: 'acme', asset: 'pump-2', value: 2 },
      { tenant: 'globex', asset: 'pump-3', value: 3 },
      // Last, so that once the narrowed subscriber has it, any globex message would have arrived too.
      { tenant: 'acme', asset: 'pump-4', value: 4 },
    ];
    for (const { tenant, asset, value } of sent) {
      await publisher.publish({ tokens: { tenant, asset }, value: { asset, value } });
    }
    await until('both full subscribers to get all four', () =>
      got.b.length === 4 && got.c.length === 4 ? true : undefined,
    );
    await until('the acme subscriber to get the last acme reading', () =>
      got.bAcme.some((m) => m.value.value === 4) ? true : undefined,
    );

    expect(got.b.map((m) => m.value.value)).toEqual([1, 2, 3, 4]);
    expect(got.c.map((m) => m.value.value)).toEqual([1, 2, 3, 4]);
    expect(got.bAcme.map((m) => m.source)).toEqual([
      `${f.run}-a.acme.pump-2.reading`,
      `${f.run}-a.acme.pump-4.reading`,
    ]);
    expect(got.b[0]).toMatchObject({
      bus: 'control',
      attempt: 1,
      source: `${f.run}-a.globex.pump-1.reading`,
    });
  });

  it('deliver a set published with one flush (publishMany) in order, and refuse a bad one whole', async () => {
    const [owner, b] = await Promise.all([bus(f.a), bus(f.b)]);
    const got: number[] = [];
    const sub = b.subscribe(f.subjects.reading, {
      tokens: { tenant: 'many' },
      handler: async (m) => void got.push(m.value.value),
    });
    await sub.ready;
    const publisher = owner.publisher(f.subjects.reading);
    const results = await publisher.publishMany(
      Array.from({ length: 500 }, (_, i) => ({
        tokens: { tenant: 'many', asset: `a${i % 7}` },
        value: { asset: `a${i % 7}`, value: i },
      })),
    );
    expect(results.map((r) => r.subject).slice(0, 2)).toEqual([
      `${f.run}-a.many.a0.reading`,
      `${f.run}-a.many.a1.reading`,
    ]);
    await until('all 500', () => (got.length === 500 ? true : undefined));
    expect(got).toEqual(Array.from({ length: 500 }, (_, i) => i));
    const before = got.length;
    await expect(
      publisher.publishMany([
        { tokens: { tenant: 'many', asset: 'a0' }, value: { asset: 'a0', value: 1 } },
        { tokens: { tenant: 'many', asset: 'a0' }, value: { asset: 'a0', value: 'nope' } as never },
      ]),
    ).rejects.toMatchObject({ code: BusErrorCode.InvalidPayload });
    await owner.publisher(f.subjects.reading).publish({
      tokens: { tenant: 'many', asset: 'end' },
      value: { asset: 'end', value: -1 },
    });
    await until('the marker', () => (got.includes(-1) ? true : undefined));
    expect(got.length).toBe(before + 1);
  });

  it('deliver the sendable part of a set (publishEach) and report the rest in place', async () => {
    const [owner, b] = await Promise.all([bus(f.a), bus(f.b)]);
    const got: number[] = [];
    const sub = b.subscribe(f.subjects.reading, {
      tokens: { tenant: 'each' },
      handler: async (m) => void got.push(m.value.value),
    });
    await sub.ready;
    const publisher = owner.publisher(f.subjects.reading);
    const outcomes = await publisher.publishEach([
      { tokens: { tenant: 'each', asset: 'a0' }, value: { asset: 'a0', value: 1 } },
      { tokens: { tenant: 'each', asset: 'a0' }, value: { asset: 'a0', value: 'nope' } as never },
      { tokens: { tenant: 'each', asset: 'a0' }, value: { asset: 'x'.repeat(2_000_000), value: 2 } },
      { tokens: { tenant: 'each', asset: 'a1' }, value: { asset: 'a1', value: 3 } },
    ]);
    expect(outcomes.map((o) => (o.ok ? 'ok' : o.error.code))).toEqual([
      'ok',
      BusErrorCode.InvalidPayload,
      BusErrorCode.TooLarge,
      'ok',
    ]);
    expect(outcomes[3]).toMatchObject({ ok: true, result: { subject: `${f.run}-a.each.a1.reading` } });
    await until('the two sendable ones', () => (got.length === 2 ? true : undefined));
    expect(got).toEqual([1, 3]);
  });

  it('also reach subscribers of a stored subject when it is published', async () => {
    const [owner, c] = await Promise.all([bus(f.a), bus(f.c)]);
    const got: number[] = [];
    const sub = c.subscribe(f.subjects.changed, {
      tokens: { tenant: 'live' },
      handler: async (m) => void got.push(m.value.n),
    });
    await sub.ready;
    await owner.publisher(f.subjects.changed).publish({ tokens: { tenant: 'live' }, value: { n: 42 } });
    await until('the live copy', () => (got.length === 1 ? true : undefined));
    expect(got).toEqual([42]);
  });

  it('keep going after a handler throws, counting the failure', async () => {
    const [owner, c] = await Promise.all([bus(f.a), bus(f.c)]);
    const got: number[] = [];
    const sub = c.subscribe(f.subjects.reading, {
      tokens: { tenant: 'flaky' },
      handler: async (m) => {
        if (m.value.value === 1) throw new Error('boom');
        got.push(m.value.value);
      },
    });
    await sub.ready;
    const publisher = owner.publisher(f.subjects.reading);
    for (const value of [1, 2])
      await publisher.publish({ tokens: { tenant: 'flaky', asset: 'a' }, value: { asset: 'a', value } });
    await until('the second reading', () => (got.length === 1 ? true : undefined));
    expect(got).toEqual([2]);
    expect(sub.stats()).toMatchObject({ received: 2, handled: 1, failed: 1 });
  });

  it('are refused to a service that is neither the owner nor a declared subscriber', async () => {
    const b = await bus(f.b);
    expect(() => b.subscribe(f.subjects.queued, { handler: async () => {} })).toThrow(
      expect.objectContaining({ code: BusErrorCode.NotDeclared }),
    );
  });

  it('reject a token the subject does not have', async () => {
    const b = await bus(f.b);
    expect(() =>
      b.subscribe(f.subjects.reading, { tokens: { site: 'x' } as never, handler: async () => {} }),
    ).toThrow(/has no \{site\}/);
  });
});
