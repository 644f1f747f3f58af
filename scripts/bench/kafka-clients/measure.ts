import type { BenchClient, KafkaTarget } from './bench-client.ts';
import type { BenchTopics } from './topics.ts';
import { assetKeys, percentile, runWindow, sequencedValue, withTimeout } from './workload.ts';

export interface ThroughputSettings {
  partitions: number;
  messages: number;
  keys: number;
  valueSize: number;
  /** Messages per send() call and how many calls may be unacknowledged at once. */
  modes: { batch: number; inFlight: number }[];
  latencySends: number;
  deadlineMs: number;
}

export interface ProducerRun {
  batch: number;
  inFlight: number;
  acked: number;
  failed: number;
  msgsPerSec: number;
  mibPerSec: number;
  errors: string[];
  timedOut: boolean;
}

export interface LatencyRun {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface ConsumerRun {
  records: number;
  msgsPerSec: number;
  mibPerSec: number;
  firstRecordMs: number;
}

const MIB = 1024 * 1024;

const rate = (count: number, ms: number) => (ms > 0 ? count / (ms / 1000) : 0);

/** Many sends in flight, never awaiting one before issuing the next. */
export async function measureProducer(
  client: BenchClient,
  target: KafkaTarget,
  topic: string,
  settings: ThroughputSettings,
  mode: { batch: number; inFlight: number },
): Promise<ProducerRun> {
  const keys = assetKeys(settings.keys);
  // One shared value: the bytes on the wire are what counts here, not their content.
  const value = sequencedValue(0, settings.valueSize);
  const producer = await client.createProducer(target, `bench-${client.id}-producer`);
  try {
    // Connection, SASL and InitProducerId happen here, outside the timed window.
    await withTimeout(producer.send(topic, [{ key: keys[0] as Buffer, value }]), 30_000, 'warm-up send');
    const calls = Math.ceil(settings.messages / mode.batch);
    const result = await runWindow(
      calls,
      mode.inFlight,
      (call) => {
        const first = call * mode.batch;
        const count = Math.min(mode.batch, settings.messages - first);
        const messages = Array.from({ length: count }, (_, i) => ({
          key: keys[(first + i) % settings.keys] as Buffer,
          value,
        }));
        return producer.send(topic, messages);
      },
      { deadlineMs: settings.deadlineMs },
    );
    const acked = Math.min(settings.messages, result.acked * mode.batch);
    return {
      ...mode,
      acked,
      failed: result.failed * mode.batch,
      msgsPerSec: rate(acked, result.elapsedMs),
      mibPerSec: rate((acked * settings.valueSize) / MIB, result.elapsedMs),
      errors: result.errors,
      timedOut: result.timedOut,
    };
  } finally {
    await withTimeout(producer.close(), 30_000, 'producer close').catch(() => {});
  }
}

/** One message per send, each awaited before the next: the latency a device acknowledgement waits for. */
export async function measureLatency(
  client: BenchClient,
  target: KafkaTarget,
  topic: string,
  settings: ThroughputSettings,
): Promise<LatencyRun> {
  const keys = assetKeys(settings.keys);
  const value = sequencedValue(0, settings.valueSize);
  const producer = await client.createProducer(target, `bench-${client.id}-latency`);
  const warmUp = 50;
  const samples: number[] = [];
  const deadline = Date.now() + settings.deadlineMs;
  try {
    for (let i = 0; i < warmUp + settings.latencySends && Date.now() < deadline; i++) {
      const started = performance.now();
      await withTimeout(
        producer.send(topic, [{ key: keys[i % settings.keys] as Buffer, value }]),
        30_000,
        'latency send',
      );
      if (i >= warmUp) samples.push(performance.now() - started);
    }
  } finally {
    await withTimeout(producer.close(), 30_000, 'producer close').catch(() => {});
  }
  samples.sort((a, b) => a - b);
  return {
    samples: samples.length,
    p50Ms: percentile(samples, 50),
    p99Ms: percentile(samples, 99),
    maxMs: samples.at(-1) ?? Number.NaN,
  };
}

/** Reads the whole topic back with a fresh group; the rate is first record to last. */
export async function measureConsumer(
  client: BenchClient,
  target: KafkaTarget,
  topic: string,
  topics: BenchTopics,
  settings: ThroughputSettings,
): Promise<ConsumerRun> {
  const ends = await topics.endOffsets(topic, settings.partitions);
  const total = Number(ends.reduce((sum, end) => sum + end, 0n));
  if (total === 0)
    throw new Error(`${topic} is empty: the consumer phase reads what the producer phase wrote`);
  let records = 0;
  let bytes = 0;
  let first = 0;
  let last = 0;
  const started = performance.now();
  await client.consume(target, {
    topic,
    groupId: topics.group(`${topic}.reader`),
    timeoutMs: settings.deadlineMs,
    onRecord(record) {
      last = performance.now();
      if (records === 0) first = last;
      records++;
      bytes += record.value?.length ?? 0;
      return records >= total;
    },
  });
  return {
    records,
    msgsPerSec: rate(records - 1, last - first),
    mibPerSec: rate(bytes / MIB, last - first),
    firstRecordMs: first - started,
  };
}
