import { createRequire } from 'node:module';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import type { BenchClient, BenchProducer, ConsumeOptions, KafkaTarget } from './bench-client.ts';
import { withTimeout } from './workload.ts';

const kafka = (target: KafkaTarget, clientId: string) =>
  new Kafka({
    clientId,
    brokers: target.brokers,
    sasl: { mechanism: 'scram-sha-512', username: target.username, password: target.password },
    // Failures must reach the harness as rejected sends, not as log lines it cannot count.
    logLevel: logLevel.NOTHING,
  });

export const kafkajsClient: BenchClient = {
  id: 'kafkajs',
  name: 'kafkajs',
  version: (createRequire(import.meta.url)('kafkajs/package.json') as { version: string }).version,
  notes: ['maxInFlightRequests=1 (its documented idempotent setting)', 'consumer: eachBatch'],

  async createProducer(target, clientId): Promise<BenchProducer> {
    const producer = kafka(target, clientId).producer({
      idempotent: true,
      maxInFlightRequests: 1,
      // The v2 default partitioner is the Java client's murmur2; naming it also silences its warning.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    return {
      async send(topic, messages) {
        await producer.send({ topic, acks: -1, messages });
      },
      close: () => producer.disconnect(),
    };
  },

  async consume(target, options: ConsumeOptions) {
    const consumer = kafka(target, `${options.groupId}-reader`).consumer({
      groupId: options.groupId,
      maxWaitTimeInMs: 100,
    });
    let finish: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    let stopped = false;
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: options.topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
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
      await withTimeout(finished, options.timeoutMs, `kafkajs consumer on ${options.topic}`);
    } finally {
      stopped = true;
      await consumer.disconnect().catch(() => {});
    }
  },
};
