// The registry is enforced twice: by the library before it sends anything, and by nats-server with
// the permissions provisioning generated. These tests show both, and that the library reports the
// server's refusal instead of hanging when the two disagree (a registry change not yet provisioned).
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { defineRegistry, payloadSchema, stream, subject } from '@openfoundry/bus-registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BusErrorCode, type ControlBus } from '../src/index.ts';
import {
  type ControlFixture,
  connectAs,
  credentialsOf,
  memoryLogger,
  natsUrl,
  provisionFixture,
  teardownFixture,
} from './support/fixture.ts';

let f: ControlFixture;
let b: ControlBus;

beforeAll(async () => {
  f = await provisionFixture();
  b = await connectAs(f, f.b);
});

afterAll(async () => {
  await b?.close();
  if (f) await teardownFixture(f);
});

/** The fixture registry plus what b would be allowed after a provisioning run that has not happened. */
function unprovisionedRegistry() {
  const extra = subject({
    name: `${f.run}-b.{tenant}.extra`,
    owner: f.b,
    kind: 'signal',
    description: 'declared but not provisioned',
    schema: payloadSchema(`${f.run}-b.extra`, 1, z.object({})),
  });
  const things = f.streams.things;
  return {
    extra,
    registry: defineRegistry({
      topics: [],
      subjects: [
        ...f.registry.subjects.map((s) =>
          s.name === f.subjects.queued.name ? { ...s, subscribers: [f.b] } : s,
        ),
        extra,
      ],
      streams: [
        stream({
          name: things.name,
          owner: things.owner,
          description: things.description,
          consumers: [...things.consumers, { service: f.b, durable: `${f.run}-b-unprovisioned` }],
        }),
      ],
    }),
  };
}

describe('the server', () => {
  it('refuses a publish outside the service’s subjects on a raw connection with its credentials', async () => {
    const { user, password } = credentialsOf(f.b);
    const nc = await connect({ servers: natsUrl(), user, pass: password, inboxPrefix: `_INBOX.${f.b}` });
    const refusals: string[] = [];
    const watching = (async () => {
      for await (const status of nc.status())
        if (status.type === 'error') refusals.push(status.error.message);
    })();
    try {
      nc.publish(`${f.run}-a.acme.thing.changed`, '{"n":1}');
      await nc.flush();
      await expect(jetstream(nc).publish(`${f.run}-a.acme.thing.changed`, '{"n":1}')).rejects.toThrow(
        `Permissions Violation for Publish to "${f.run}-a.acme.thing.changed"`,
      );
      expect(refusals).toContain(`Permissions Violation for Publish to "${f.run}-a.acme.thing.changed"`);
      // What b is granted still works on the same connection.
      const reply = nc.request(`${f.run}-a.acme.connector.stop`, '{"connector":"x"}', { timeout: 1_000 });
      await expect(reply).rejects.toThrow(/no responders/);
    } finally {
      await nc.close();
      await watching;
    }
  });

  it('refuses a wrong password', async () => {
    await expect(connectAs(f, f.b, { password: 'not-the-password' })).rejects.toMatchObject({
      code: BusErrorCode.Unauthorized,
      message: expect.stringContaining('Authorization Violation'),
    });
  });
});

describe('the library', () => {
  it('refuses to publish as a service that neither owns nor sends the subject, before the server would', async () => {
    expect(() => b.publisher(f.subjects.changed)).toThrow(
      expect.objectContaining({
        code: BusErrorCode.NotOwner,
        message: expect.stringContaining(`only its owner ${f.a} may`),
      }),
    );
  });

  it('reports the server’s refusal as Unauthorized when the registry allows more than was provisioned', async () => {
    const { registry, extra } = unprovisionedRegistry();
    const { logger, lines } = memoryLogger();
    const stale = await connectAs(f, f.b, { registry, logger });
    try {
      await expect(
        stale.publisher(extra).publish({ tokens: { tenant: 'acme' }, value: {} }),
      ).rejects.toMatchObject({
        code: BusErrorCode.Unauthorized,
        message: expect.stringContaining(`Permissions Violation for Publish to "${f.run}-b.acme.extra"`),
      });
      await expect(
        stale.consume(f.streams.things.name, {
          durable: `${f.run}-b-unprovisioned`,
          handler: async () => {},
        }),
      ).rejects.toMatchObject({
        code: BusErrorCode.Unauthorized,
        message: expect.stringContaining('Permissions Violation'),
      });
      const sub = stale.subscribe(f.subjects.queued, { handler: async () => {} });
      await expect(sub.ready).rejects.toMatchObject({
        code: BusErrorCode.Unauthorized,
        message: expect.stringContaining(
          `Permissions Violation for Subscription to "${f.run}-a.*.job.queued"`,
        ),
      });
      expect(lines.some((l) => l.level === 'error' && l.message.includes('subscription refused'))).toBe(true);
    } finally {
      await stale.close();
    }
  });

  it('rejects a subject or stream the registry does not have, naming it', async () => {
    expect(() => b.publisher(`${f.run}-b.nothing`)).toThrow(
      expect.objectContaining({
        code: BusErrorCode.UnknownSubject,
        message: `subject ${f.run}-b.nothing is not in the bus registry: declare it in infra/bus before using it`,
      }),
    );
    await expect(
      b.consume('NO_SUCH_STREAM', { durable: 'x', handler: async () => {} }),
    ).rejects.toMatchObject({
      code: BusErrorCode.UnknownStream,
      message: expect.stringContaining('stream NO_SUCH_STREAM is not in the bus registry'),
    });
    await expect(
      b.consume(f.streams.things, { durable: `${f.run}-b-nope`, handler: async () => {} }),
    ).rejects.toMatchObject({
      code: BusErrorCode.NotDeclared,
    });
  });

  it('rejects a payload over the subject’s size limit', async () => {
    const owner = await connectAs(f, f.a);
    try {
      await expect(
        owner
          .publisher(f.subjects.changed)
          .publish({ tokens: { tenant: 'acme' }, value: { n: 1, note: 'x'.repeat(2_000) } }),
      ).rejects.toMatchObject({
        code: BusErrorCode.TooLarge,
        details: { maxPayloadBytes: 1024 },
      });
    } finally {
      await owner.close();
    }
  });

  it('rejects a payload its schema rejects, listing the issues', async () => {
    const owner = await connectAs(f, f.a);
    try {
      await expect(
        owner
          .publisher(f.subjects.changed)
          .publish({ tokens: { tenant: 'acme' }, value: { n: 1.5, note: 7 } as unknown as { n: number } }),
      ).rejects.toMatchObject({
        code: BusErrorCode.InvalidPayload,
        details: {
          issues: [expect.objectContaining({ path: 'n' }), expect.objectContaining({ path: 'note' })],
        },
      });
      await expect(
        owner.publisher(f.subjects.changed).publish({ tokens: { tenant: 'two.tokens' }, value: { n: 1 } }),
      ).rejects.toMatchObject({
        code: BusErrorCode.InvalidPayload,
        message: expect.stringContaining('single subject token'),
      });
    } finally {
      await owner.close();
    }
  });
});
