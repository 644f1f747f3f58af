import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { BenchClient, BenchProducer, ConsumeOptions, KafkaTarget } from './bench-client.ts';
import { withTimeout } from './workload.ts';

/*
 * @confluentinc/kafka-javascript is not a dependency of the repository: its install downloads a
 * prebuilt binary (or librdkafka's build dependencies) from hosts this machine cannot reach, so it
 * is built by hand in a scratch directory (ADR 0009 has the recipe) and loaded from there. Only the
 * KafkaJS-compatible surface the benchmark calls is typed here.
 */
interface CkjsBatch {
  partition: number;
  messages: { offset: string; key: Buffer | null; value: Buffer | null }[];
}
interface CkjsProducer {
  connect(): Promise<void>;
  send(record: { topic: string; messages: { key: Buffer; value: Buffer }[] }): Promise<unknown>;
  disconnect(): Promise<void>;
}
interface CkjsConsumer {
  connect(): Promise<void>;
  subscribe(subscription: { topics: string[] }): Promise<void>;
  run(config: { eachBatch: (payload: { batch: CkjsBatch }) => Promise<void> }): Promise<void>;
  disconnect(): Promise<void>;
}
interface CkjsKafka {
  producer(config: object): CkjsProducer;
  consumer(config: object): CkjsConsumer;
}
interface CkjsModule {
  librdkafkaVersion: string;
  KafkaJS: { Kafka: new (config: object) => CkjsKafka; logLevel: { NOTHING: number } };
}

const PACKAGE = '@confluentinc/kafka-javascript';

/**
 * The client built under `dir` (an npm prefix), or why it cannot be used. `lingerMs` overrides
 * librdkafka's linger.ms (default 5), which an awaited single send waits out in full.
 */
export function loadConfluentClient(dir: string, lingerMs?: number): BenchClient | string {
  const packageDir = join(dir, 'node_modules', PACKAGE);
  if (!existsSync(packageDir)) return `${PACKAGE} is not built under ${dir}`;
  const require = createRequire(join(dir, 'package.json'));
  let ckjs: CkjsModule;
  try {
    ckjs = require(PACKAGE) as CkjsModule;
  } catch (error) {
    return `${PACKAGE} under ${dir} does not load: ${(error as Error).message.split('\n')[0]}`;
  }
  const { Kafka, logLevel } = ckjs.KafkaJS;
  const kafka = (target: KafkaTarget, clientId: string) =>
    new Kafka({
      kafkaJS: {
        clientId,
        brokers: target.brokers,
        sasl: { mechanism: 'scram-sha-512', username: target.username, password: target.password },
        logLevel: logLevel.NOTHING,
      },
    });
  const version = (require(`${PACKAGE}/package.json`) as { version: string }).version;

  return {
    id: 'confluent',
    name: '@confluentinc/kafka-javascript',
    version: `${version} (librdkafka ${ckjs.librdkafkaVersion})`,
    notes: [
      `librdkafka: linger.ms ${lingerMs ?? '5 (default)'}, max.in.flight 5 with idempotence`,
      'partitioner: murmur2_random (the compat layer default, Java mapping)',
      'consumer: eachBatch, fetch.wait.max.ms 100',
    ],

    async createProducer(target, clientId): Promise<BenchProducer> {
      const producer = kafka(target, clientId).producer({
        kafkaJS: { idempotent: true, acks: -1 },
        ...(lingerMs === undefined ? {} : { 'linger.ms': lingerMs }),
      });
      await producer.connect();
      return {
        async send(topic, messages) {
          await producer.send({ topic, messages });
        },
        close: () => producer.disconnect(),
      };
    },

    async consume(target, options: ConsumeOptions) {
      const consumer = kafka(target, `${options.groupId}-reader`).consumer({
        kafkaJS: { groupId: options.groupId, fromBeginning: true, autoCommit: false, maxWaitTimeInMs: 100 },
      });
      let finish: () => void = () => {};
      const finished = new Promise<void>((resolve) => {
        finish = resolve;
      });
      let stopped = false;
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: [options.topic] });
        await consumer.run({
          eachBatch: async ({ batch }) => {
            for (const message of batch.messages) {
              if (stopped) return;
              const record = {
                partition: batch.partition,
                offset: BigInt(message.offset),
                key: message.key,
                value: message.value,
              };
              if (options.onRecord(record)) {
                stopped = true;
                finish();
                return;
              }
            }
          },
        });
        await withTimeout(finished, options.timeoutMs, `${PACKAGE} consumer on ${options.topic}`);
      } finally {
        stopped = true;
        await consumer.disconnect().catch(() => {});
      }
    },
  };
}
