import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BusMessage, type ControlBus, PoisonMessageError } from '../src/index.ts';
import {
  admin,
  type ControlFixture,
  connectAs,
  memoryLogger,
  natsUrl,
  provisionFixture,
  teardownFixture,
  until,
} from './support/fixture.ts';

type Thing = { n: number; note?: string };

let f: ControlFixture;
let owner: ControlBus;
let reader: ControlBus;
let adminNc: NatsConnection;

beforeAll(async () => {
  f = await provisionFixture();
  owner = await connectAs(f, f.a);
  adminNc = await connect({ servers: natsUrl(), ...admin() });
});

afterAll(async () => {
  await owner?.close();
  await reader?.close();
  await adminNc?.close();
  if (f) await teardownFixture(f);
});

const durable = () => `${f.run}-b-things`;

/** Collects the server's advisories about one durable consumer, e.g. MAX_DELIVERIES or MSG_TERMINATED. */
function advisories(kind: 'MAX_DELIVERIES' | 'MSG_TERMINATED') {
  const seen: { stream_seq: number; deliveries?: number; reason?: string }[] = [];
  const sub = adminNc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.${kind}.${f.streamName}.${durable()}`, {
    callback: (_error, msg) => {
      seen.push(msg.json());
    },
  });
  return { seen, stop: () => sub.unsubscribe() };
}

async function consumerState() {
  const info = await (await jetstreamManager(adminNc)).consumers.info(f.streamName, durable());
  return { ackPending: info.num_ack_pending, pending: info.num_pending, redelivered: info.num_redelivered };
}

describe('a durable consumer', () => {
  it('delivers a stored message once and acks it when the handler resolves', async () => {
    const received: BusMessage<Thing>[] = [];
    reader = await connectAs(f, f.b);
    const consumer = await reader.consume<Thing>(f.streams.things, {
      durable: durable(),
      handler: async (message) => {
        received.push(message);
      },
    });
    const published = await owner.publisher(f.subjects.changed).publish({
      tokens: { tenant: 'acked' },
      value: { n: 1, note: 'hello' },
      msgId: `${f.run}-acked-1`,
      lineage: {
        namespace: 'openfoundry.test',
        jobName: 'fixture',
        runId: f.run,
        eventTime: '2026-11-23T10:00:00.000Z',
        producer: 'https://openfoundry.dev/test',
      },
    });
    expect(published).toMatchObject({
      subject: `${f.run}-a.acked.thing.changed`,
      stream: f.streamName,
      duplicate: false,
    });

    await until('the ack', () => (consumer.stats().acked === 1 ? true : undefined));
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      bus: 'control',
      source: `${f.run}-a.acked.thing.changed`,
      key: `${f.run}-acked-1`,
      value: { n: 1, note: 'hello' },
      attempt: 1,
      position: String(published.seq),
      lineage: { jobName: 'fixture', runId: f.run },
    });
    expect(await consumerState()).toEqual({ ackPending: 0, pending: 0, redelivered: 0 });
    await consumer.close();
  });

  it('drops a second publish with the same message id inside the duplicate window', async () => {
    const publisher = owner.publisher(f.subjects.changed);
    const input = { tokens: { tenant: 'dedupe' }, value: { n: 2 }, msgId: `${f.run}-dedupe` };
    const first = await publisher.publish(input);
    const second = await publisher.publish(input);
    expect(second).toMatchObject({ duplicate: true, seq: first.seq });
    const seen: number[] = [];
    const consumer = await reader.consume<Thing>(f.streams.things, {
      durable: durable(),
      handler: async (message) => {
        seen.push(message.value.n);
      },
    });
    await until('the ack', () => (consumer.stats().acked === 1 ? true : undefined));
    await consumer.close();
    expect(seen).toEqual([2]);
  });

  it('redelivers after a failure with the next attempt number until the handler succeeds', async () => {
    const attempts: number[] = [];
    const consumer = await reader.consume<Thing>(f.streams.things, {
      durable: durable(),
      handler: async (message) => {
        attempts.push(message.attempt);
        if (message.attempt < 3) throw new Error(`not yet (attempt ${message.attempt})`);
      },
    });
    await owner.publisher(f.subjects.changed).publish({ tokens: { tenant: 'retry' }, value: { n: 3 } });
    await until('the ack after retries', () => (consumer.stats().acked === 1 ? true : undefined));
    await consumer.close();
    expect(attempts).toEqual([1, 2, 3]);
    expect(consumer.stats()).toMatchObject({ received: 3, retried: 2, acked: 1, exhausted: 0 });
    expect(await consumerState()).toMatchObject({ ackPending: 0, pending: 0 });
  });

  it('stops redelivering after max_deliver attempts', async () => {
    const maxDeliveries = advisories('MAX_DELIVERIES');
    const attempts: number[] = [];
    const { logger, lines } = memoryLogger();
    const bus = await connectAs(f, f.b, { logger });
    const consumer = await bus.consume<Thing>(f.streams.things, {
      durable: durable(),
      handler: async (message) => {
        attempts.push(message.attempt);
        throw new Error('always fails');
      },
    });
    const { seq } = await owner
      .publisher(f.subjects.changed)
      .publish({ tokens: { tenant: 'hopeless' }, value: { n: 4 } });
    await until('the max-deliveries advisory', () =>
      maxDeliveries.seen.find((a) => a.stream_seq === seq) ? true : undefined,
    );
    maxDeliveries.stop();
    await bus.close();
    expect(attempts).toEqual([1, 2, 3]);
    expect(consumer.stats()).toMatchObject({ retried: 2, exhausted: 1, acked: 0 });
    expect(lines.some((l) => l.level === 'error' && l.message.includes('last delivery'))).toBe(true);
    expect(await consumerState()).toMatchObject({ ackPending: 0, pending: 0 });
  });

  it('terminates a message the handler calls poison, without redelivery, and logs why', async () => {
    const terminated = advisories('MSG_TERMINATED');
    const attempts: number[] = [];
    const { logger, lines } = memoryLogger();
    const bus = await connectAs(f, f.b, { logger });
    const consumer = await bus.consume<Thing>(f.streams.things, {
      durable: durable(),
      handler: async (message) => {
        attempts.push(message.attempt);
        throw new PoisonMessageError(`thing ${message.value.n} can never be processed`);
      },
    });
    const { seq } = await owner
      .publisher(f.subjects.changed)
      .publish({ tokens: { tenant: 'poison' }, value: { n: 5 } });
    const advisory = await until('the terminated advisory', () =>
      terminated.seen.find((a) => a.stream_seq === seq),
    );
    terminated.stop();
    await bus.close();
    expect(attempts).toEqual([1]);
    expect(advisory.reason).toBe('thing 5 can never be processed');
    expect(consumer.stats()).toMatchObject({ terminated: 1, retried: 0, acked: 0 });
    expect(lines.find((l) => l.message.includes('terminated'))?.fields).toMatchObject({
      reason: 'thing 5 can never be processed',
      attempt: 1,
    });
  });

  it('terminates a stored message whose payload the schema rejects, before any handler sees it', async () => {
    const terminated = advisories('MSG_TERMINATED');
    const handled: unknown[] = [];
    const bus = await connectAs(f, f.b);
    const consumer = await bus.consume(f.streams.things, {
      durable: durable(),
      handler: async (message) => {
        handled.push(message.value);
      },
    });
    // The admin bypasses the library's own validation, as a misbehaving producer would.
    const { jetstream } = await import('@nats-io/jetstream');
    const ack = await jetstream(adminNc).publish(`${f.run}-a.bad.thing.changed`, '{"n":"not a number"}');
    const advisory = await until('the terminated advisory', () =>
      terminated.seen.find((a) => a.stream_seq === ack.seq),
    );
    terminated.stop();
    await bus.close();
    expect(handled).toEqual([]);
    expect(advisory.reason).toMatch(/does not match schema/);
    expect(consumer.stats().terminated).toBe(1);
  });

  it('handles up to `concurrency` messages at once, acking each', async () => {
    let running = 0;
    let most = 0;
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const consumer = await reader.consume<Thing>(f.streams.things, {
      durable: durable(),
      concurrency: 3,
      handler: async () => {
        running++;
        most = Math.max(most, running);
        await gate;
        running--;
      },
    });
    const publisher = owner.publisher(f.subjects.changed);
    for (let n = 10; n < 16; n++) await publisher.publish({ tokens: { tenant: 'parallel' }, value: { n } });
    await until('three handlers running at once', () => (running === 3 ? true : undefined));
    open();
    await until('all six acks', () => (consumer.stats().acked === 6 ? true : undefined));
    await consumer.close();
    expect(most).toBe(3);
  });

  it('lets the handler in flight finish and has every ack confirmed before close() resolves', async () => {
    const publisher = owner.publisher(f.subjects.changed);
    const numbers = Array.from({ length: 10 }, (_, i) => 20 + i);
    for (const n of numbers) await publisher.publish({ tokens: { tenant: 'confirmed' }, value: { n } });
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const seen: number[] = [];
    const consumer = await reader.consume<Thing>(f.streams.things, {
      durable: durable(),
      handler: async (message) => {
        seen.push(message.value.n);
        if (seen.length === numbers.length) await gate;
      },
    });
    await until('the last handler to start', () => (seen.length === numbers.length ? true : undefined));
    const closing = consumer.close();
    open();
    await closing;
    expect(seen).toEqual(numbers);
    expect(consumer.stats()).toMatchObject({ received: 10, acked: 10, retried: 0 });
    expect(await consumerState()).toMatchObject({ ackPending: 0, pending: 0 });
  });
});
