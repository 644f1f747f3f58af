import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Consumer, compatibilityPartitioner, type Message, ProduceAcks, Producer } from '@platformatic/kafka';
import type { BenchClient, BenchProducer, ConsumeOptions, KafkaTarget } from './bench-client.ts';
import { withTimeout } from './workload.ts';

const base = (target: KafkaTarget, clientId: string) => ({
  clientId,
  bootstrapBrokers: target.brokers,
  sasl: { mechanism: 'SCRAM-SHA-512' as const, username: target.username, password: target.password },
});

// The package's exports map hides package.json; its entry point sits two levels below the root.
const packageRoot = dirname(dirname(createRequire(import.meta.url).resolve('@platformatic/kafka')));

export const platformaticClient: BenchClient = {
  id: 'platformatic',
  name: '@platformatic/kafka',
  version: (createRequire(import.meta.url)(join(packageRoot, 'package.json')) as { version: string }).version,
  notes: [
    'idempotent forces maxInflights=1 per connection',
    'partitioner: compatibilityPartitioner (its default murmur2 is not the Java mapping)',
    'consumer: stream, maxWaitTime 100 ms, maxBytesPerPartition 1 MiB',
  ],

  async createProducer(target, clientId): Promise<BenchProducer> {
    const producer = new Producer({
      ...base(target, clientId),
      idempotent: true,
      acks: ProduceAcks.ALL,
      partitioner: compatibilityPartitioner,
    });
    return {
      async send(topic, messages) {
        await producer.send({ messages: messages.map(({ key, value }) => ({ topic, key, value })) });
      },
      close: () => producer.close(),
    };
  },

  async consume(target, options: ConsumeOptions) {
    const consumer = new Consumer({
      ...base(target, `${options.groupId}-reader`),
      groupId: options.groupId,
      maxWaitTime: 100,
      // Its default lets one partition fill a 50 MB fetch, which measured at half the rate and a
      // second's wait for the first record; 1 MiB is the Java client's max.partition.fetch.bytes.
      maxBytesPerPartition: 1_048_576,
    });
    try {
      const stream = await consumer.consume({ topics: [options.topic], mode: 'earliest', autocommit: false });
      const finished = new Promise<void>((resolve, reject) => {
        let stopped = false;
        stream.on('data', (message: Message<Buffer, Buffer, Buffer, Buffer>) => {
          if (stopped) return;
          const record = {
            partition: message.partition,
            offset: message.offset,
            key: message.key,
            value: message.value,
          };
          if (options.onRecord(record)) {
            stopped = true;
            resolve();
          }
        });
        stream.once('error', reject);
      });
      try {
        await withTimeout(finished, options.timeoutMs, `@platformatic/kafka consumer on ${options.topic}`);
      } finally {
        await stream.close().catch(() => {});
      }
    } finally {
      await consumer.close(true).catch(() => {});
    }
  },
};
