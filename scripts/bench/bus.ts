/**
 * `npm run bench:bus`: the data bus library against Kafka's own perf tools on the same broker, in
 * one run, and the control bus against the raw NATS client on the same server. Prints each pair
 * side by side with the ratio (ours / baseline; higher is better for throughput).
 */
import { defineRegistry, payloadSchema, topic } from '@openfoundry/bus-registry';
import { fixtureServices, provisionFixture } from '@openfoundry/bus-registry/testing';
import { DataBus } from '@openfoundry/event-bus-data';
import { readPlatformEnv, up } from '@openfoundry/infra-local';
import { z } from 'zod';
import { BenchTopics } from './kafka-clients/topics.ts';
import { ensureKafkaPerfTools, runConsumerPerfTest, runProducerPerfTest } from './kafka-perf-tool.ts';
import { benchControlBus } from './nats.ts';
import { printTable, type Row } from './table.ts';

export type { Row } from './table.ts';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 200_000);
const RECORD_BYTES = 1024;
const PARTITIONS = 3;

const log = (message: string) => console.log(`[bench:bus] ${message}`);

/** A 1 KiB JSON value: `{"seq":n,"data":"xxx…"}` padded to exactly RECORD_BYTES. */
function value(seq: number): { seq: number; data: string } {
  const overhead = JSON.stringify({ seq, data: '' }).length;
  return { seq, data: 'x'.repeat(RECORD_BYTES - overhead) };
}

async function benchDataBus(): Promise<Row[]> {
  const env = readPlatformEnv();
  const names = fixtureServices(['benchproducer', 'benchconsumer'] as const);
  const group = `${names.benchconsumer}.bench`;
  const schema = payloadSchema('bench.record', 1, z.object({ seq: z.number().int(), data: z.string() }));
  const benchTopic = topic({
    name: `${names.benchproducer.replace(/-service$/, '')}.records`,
    owner: names.benchproducer,
    kind: 'telemetry',
    description: 'bench:bus records',
    schema,
    partitions: PARTITIONS,
    retentionMs: 3_600_000,
    consumers: [{ service: names.benchconsumer, group }],
  });
  const registry = defineRegistry({ topics: [benchTopic], subjects: [], streams: [] });
  const fixture = await provisionFixture(registry, Object.values(names));
  const admin = {
    brokers: env.OPENFOUNDRY_KAFKA_BROKERS.split(','),
    username: env.OPENFOUNDRY_KAFKA_ADMIN_USER,
    password: env.OPENFOUNDRY_KAFKA_ADMIN_PASSWORD,
  };
  const topics = new BenchTopics(admin);
  const buses: DataBus[] = [];
  try {
    await ensureKafkaPerfTools(log);
    const toolTopic = await topics.create(`bench-tool-${Date.now()}`, PARTITIONS);

    log(`kafka-producer-perf-test: ${RECORDS} records of ${RECORD_BYTES} B, acks=all, idempotent`);
    const toolProduce = await runProducerPerfTest({
      topic: toolTopic,
      numRecords: RECORDS,
      recordSize: RECORD_BYTES,
      throughput: -1,
    });

    log(`event-bus-data publisher: ${RECORDS} records of ${RECORD_BYTES} B JSON, acks=all, idempotent`);
    const connect = async (service: string) => {
      const creds = fixture.credentials(service);
      const bus = await DataBus.connect({
        service,
        brokers: fixture.kafkaBrokers,
        username: creds.kafka.username,
        password: creds.kafka.password,
        registry,
      });
      buses.push(bus);
      return bus;
    };
    const publisher = (await connect(names.benchproducer)).publisher(benchTopic, { job: 'bench.produce' });
    await publisher.publish({ key: 'warm-up', value: value(-1) });
    const latencies: number[] = [];
    const started = performance.now();
    const sends: Promise<unknown>[] = [];
    for (let seq = 0; seq < RECORDS; seq++) {
      const sent = performance.now();
      sends.push(
        publisher.publish({ key: `asset-${seq % 1000}`, value: value(seq) }).then(() => {
          latencies.push(performance.now() - sent);
        }),
      );
      if (seq % 1_000 === 0) await publisher.room();
    }
    await Promise.all(sends);
    const produceSeconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const pct = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;

    log('kafka-consumer-perf-test');
    const toolConsume = await runConsumerPerfTest({
      topic: toolTopic,
      messages: RECORDS,
      group: topics.group(`bench-tool-group-${Date.now()}`),
    });

    log('event-bus-data consumer');
    let consumed = 0;
    let done: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      done = resolve;
    });
    const consumeStarted = performance.now();
    const consumer = await (await connect(names.benchconsumer)).consume(benchTopic, {
      group,
      maxInFlight: 4_096,
      handler: async () => {
        consumed += 1;
        if (consumed >= RECORDS + 1) done();
      },
    });
    const timeout = setTimeout(done, 300_000);
    await finished;
    clearTimeout(timeout);
    const consumeSeconds = (performance.now() - consumeStarted) / 1000;
    await consumer.close();

    const mib = (RECORDS * RECORD_BYTES) / 2 ** 20;
    return [
      {
        what: 'produce msgs/s',
        ours: RECORDS / produceSeconds,
        baseline: toolProduce.recordsPerSec,
        unit: '',
        higherIsBetter: true,
      },
      {
        what: 'produce MiB/s',
        ours: mib / produceSeconds,
        baseline: toolProduce.mbPerSec,
        unit: '',
        higherIsBetter: true,
      },
      {
        what: 'produce p50 ms (under load)',
        ours: pct(0.5),
        baseline: toolProduce.p50Ms,
        unit: '',
        higherIsBetter: false,
      },
      {
        what: 'produce p99 ms (under load)',
        ours: pct(0.99),
        baseline: toolProduce.p99Ms,
        unit: '',
        higherIsBetter: false,
      },
      {
        what: 'consume msgs/s (incl. group join)',
        ours: consumed / consumeSeconds,
        baseline: toolConsume.recordsPerSec,
        unit: '',
        higherIsBetter: true,
      },
      {
        what: 'consume MiB/s (incl. group join)',
        ours: (consumed * RECORD_BYTES) / 2 ** 20 / consumeSeconds,
        baseline: toolConsume.mbPerSec,
        unit: '',
        higherIsBetter: true,
      },
    ];
  } finally {
    await Promise.allSettled(buses.map((b) => b.close()));
    await topics.cleanup();
    await fixture.teardown();
  }
}

async function main() {
  await up({ servers: ['kafka', 'nats'], log });
  const data = await benchDataBus();
  printTable(
    `data bus (Kafka 4.4, ${RECORDS} × ${RECORD_BYTES} B, ${PARTITIONS} partitions, acks=all, idempotent, 2 cores)`,
    'kafka perf tool',
    data,
  );
  const control = await benchControlBus(log);
  printTable('control bus (NATS JetStream, file storage, durable pull consumer)', 'raw nats.js', control);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`[bench:bus] failed: ${(error as Error).stack ?? error}`);
    process.exit(1);
  },
);
