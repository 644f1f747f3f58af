/**
 * The control-bus half of `npm run bench:bus`: JetStream publish-to-consume latency and throughput
 * through event-bus-control, next to the raw nats.js JetStream client doing the same on the same
 * server (a stream of the same shape, a durable pull consumer, explicit acks).
 */

import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { defineRegistry, payloadSchema, stream, subject } from '@openfoundry/bus-registry';
import { fixtureServices, provisionFixture } from '@openfoundry/bus-registry/testing';
import { ControlBus } from '@openfoundry/event-bus-control';
import { readPlatformEnv } from '@openfoundry/infra-local';
import { z } from 'zod';
import type { Row } from './bus.ts';

const LATENCY_SAMPLES = Number(process.env.BENCH_NATS_LATENCY_SAMPLES ?? 2_000);
const THROUGHPUT_MESSAGES = Number(process.env.BENCH_NATS_MESSAGES ?? 20_000);
const IN_FLIGHT = 256;

type Log = (message: string) => void;

interface Side {
  /** Publishes one message carrying its send time; resolves on the stream's ack. */
  publish(seq: number): Promise<void>;
  /** Starts consuming; calls back with each message's send time. */
  consume(onMessage: (sentAt: number) => void): Promise<{ stop(): Promise<void> }>;
  close(): Promise<void>;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

/** One message at a time: publish, wait until the consumer has it, record the gap. */
async function latency(side: Side): Promise<number[]> {
  let waiting: ((sentAt: number) => void) | undefined;
  const consumer = await side.consume((sentAt) => waiting?.(sentAt));
  const samples: number[] = [];
  try {
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const received = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no message within 10 s')), 10_000);
        waiting = (sentAt) => {
          clearTimeout(timer);
          resolve(performance.now() - sentAt);
        };
      });
      await side.publish(i);
      samples.push(await received);
    }
  } finally {
    await consumer.stop();
  }
  return samples.sort((a, b) => a - b);
}

/** Many in flight: messages per second from the first publish until the last is consumed. */
async function throughput(side: Side): Promise<number> {
  let consumed = 0;
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const consumer = await side.consume(() => {
    consumed += 1;
    if (consumed >= THROUGHPUT_MESSAGES) finish();
  });
  const started = performance.now();
  try {
    let next = 0;
    const worker = async () => {
      while (next < THROUGHPUT_MESSAGES) await side.publish(next++);
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    const timer = setTimeout(finish, 120_000);
    await done;
    clearTimeout(timer);
  } finally {
    await consumer.stop();
  }
  return consumed / ((performance.now() - started) / 1000);
}

export async function benchControlBus(log: Log): Promise<Row[]> {
  const env = readPlatformEnv();
  const names = fixtureServices(['benchctl', 'benchctlreader'] as const);
  const domain = names.benchctl.replace(/-service$/, '');
  const streamName = domain.toUpperCase();
  const durable = `${names.benchctlreader.replace(/-service$/, '')}-bench`;
  const tick = subject({
    name: `${domain}.{n}.tick`,
    owner: names.benchctl,
    kind: 'signal',
    description: 'bench:bus ticks',
    schema: payloadSchema('bench.tick', 1, z.object({ seq: z.number().int(), sentAt: z.number() })),
    stream: streamName,
  });
  const registry = defineRegistry({
    topics: [],
    subjects: [tick],
    streams: [
      stream({
        name: streamName,
        owner: names.benchctl,
        description: 'bench:bus',
        consumers: [{ service: names.benchctlreader, durable, ackWaitMs: 30_000, maxDeliver: 5 }],
      }),
    ],
  });
  const fixture = await provisionFixture(registry, Object.values(names));
  const raw = await connect({
    servers: env.OPENFOUNDRY_NATS_URL,
    user: env.OPENFOUNDRY_NATS_ADMIN_USER,
    pass: env.OPENFOUNDRY_NATS_ADMIN_PASSWORD,
  });
  const rawStream = `${streamName}_RAW`;
  const rawSubject = `${domain}raw.tick`;
  try {
    const creds = (service: string) => fixture.credentials(service).nats;
    const publisherBus = await ControlBus.connect({
      service: names.benchctl,
      servers: fixture.natsUrl,
      user: creds(names.benchctl).user,
      password: creds(names.benchctl).password,
      registry,
    });
    const readerBus = await ControlBus.connect({
      service: names.benchctlreader,
      servers: fixture.natsUrl,
      user: creds(names.benchctlreader).user,
      password: creds(names.benchctlreader).password,
      registry,
    });
    const pub = publisherBus.publisher(tick);
    const ours: Side = {
      publish: async (seq) => {
        await pub.publish({
          tokens: { n: String(seq % 16) },
          value: { seq, sentAt: performance.now() },
        } as never);
      },
      consume: async (onMessage) => {
        const c = await readerBus.consume<{ sentAt: number }>(streamName, {
          durable,
          concurrency: IN_FLIGHT,
          handler: async (m) => onMessage(m.value.sentAt),
        });
        return { stop: () => c.close() };
      },
      close: async () => {
        await publisherBus.close();
        await readerBus.close();
      },
    };

    const jsm = await jetstreamManager(raw);
    await jsm.streams.add({
      name: rawStream,
      subjects: [rawSubject],
      max_age: 3_600_000_000_000,
      num_replicas: 1,
    });
    await jsm.consumers.add(rawStream, {
      durable_name: 'raw-bench',
      ack_policy: AckPolicy.Explicit,
      ack_wait: 30_000_000_000,
      max_deliver: 5,
      max_ack_pending: IN_FLIGHT * 4,
    });
    const js = jetstream(raw);
    const baseline: Side = {
      publish: async (seq) => {
        await js.publish(rawSubject, JSON.stringify({ seq, sentAt: performance.now() }));
      },
      consume: async (onMessage) => {
        const consumer = await js.consumers.get(rawStream, 'raw-bench');
        const messages = await consumer.consume({ max_messages: IN_FLIGHT });
        void (async () => {
          for await (const m of messages) {
            const { sentAt } = m.json<{ sentAt: number }>();
            m.ack();
            onMessage(sentAt);
          }
        })();
        return { stop: async () => void (await messages.close()) };
      },
      close: async () => {},
    };

    log(`control bus: ${LATENCY_SAMPLES} one-at-a-time round trips each side`);
    const ourLatency = await latency(ours);
    const rawLatency = await latency(baseline);
    log(`control bus: ${THROUGHPUT_MESSAGES} messages, ${IN_FLIGHT} in flight, each side`);
    const ourRate = await throughput(ours);
    const rawRate = await throughput(baseline);
    await ours.close();
    return [
      {
        what: 'publish→consume p50 ms',
        ours: percentile(ourLatency, 0.5),
        baseline: percentile(rawLatency, 0.5),
        unit: '',
        higherIsBetter: false,
      },
      {
        what: 'publish→consume p99 ms',
        ours: percentile(ourLatency, 0.99),
        baseline: percentile(rawLatency, 0.99),
        unit: '',
        higherIsBetter: false,
      },
      { what: 'publish+consume msgs/s', ours: ourRate, baseline: rawRate, unit: '', higherIsBetter: true },
    ];
  } finally {
    await jetstreamManager(raw)
      .then((jsm) => jsm.streams.delete(rawStream))
      .catch(() => {});
    await raw.close();
    await fixture.teardown();
  }
}
