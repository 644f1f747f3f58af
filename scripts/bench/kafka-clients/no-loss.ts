import { FaultProxy } from '@openfoundry/infra-local/testing';
import type { BenchClient, KafkaTarget } from './bench-client.ts';
import type { BenchTopics } from './topics.ts';
import { assetKeys, readSequence, runWindow, sequencedValue, sleep, withTimeout } from './workload.ts';

export interface NoLossSettings {
  partitions: number;
  messages: number;
  keys: number;
  valueSize: number;
  /** Messages per send() call; unacknowledged calls at once. */
  batch: number;
  inFlight: number;
  /** Fractions of the run after which the broker link is cut, e.g. [0.2, 0.45, 0.7]. */
  cutsAt: number[];
  cutMs: number;
  deadlineMs: number;
  proxyPort: number;
  faultListenerPort: number;
}

export interface NoLossRun {
  acked: number;
  failed: number;
  /** Never issued or never settled before the deadline. */
  unsettled: number;
  cuts: number;
  severedConnections: number;
  produceMs: number;
  /** Records the reader found, checked against the partitions' end offsets. */
  recordsRead: number;
  readerComplete: boolean;
  /** Acknowledged to the producer but absent from the log: silent loss. */
  lostAcked: number;
  /** Rejected to the producer and absent: loss the application was told about. */
  lostReported: number;
  /** Rejected to the producer yet written anyway. */
  writtenDespiteError: number;
  duplicates: number;
  /** Records whose sequence number is lower than one already read for the same key. */
  reordered: number;
  keysOnSeveralPartitions: number;
  errors: string[];
}

const PROXY_WAIT_MS = 120_000;

/**
 * The broker advertises one fault port, so every test that cuts the link (event-bus-data's
 * integration tests too) needs the same proxy port; wait for a run in progress to let go of it.
 */
async function startProxy(settings: NoLossSettings): Promise<FaultProxy> {
  const deadline = Date.now() + PROXY_WAIT_MS;
  for (;;) {
    const proxy = new FaultProxy({ listenPort: settings.proxyPort, targetPort: settings.faultListenerPort });
    try {
      await proxy.start();
      return proxy;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || Date.now() > deadline) {
        throw new Error(
          `cannot listen on the fault proxy port ${settings.proxyPort}: ${(error as Error).message}` +
            ' (another broker-cut test holds it; run again when it has finished)',
        );
      }
      await sleep(2000);
    }
  }
}

/**
 * Produces keyed, per-key-numbered records with many sends in flight while a proxy severs every
 * connection of the producer a few times, then reads the topic back over the direct listener and
 * checks every record is there exactly once and in order per key.
 */
export async function measureNoLoss(
  client: BenchClient,
  directTarget: KafkaTarget,
  reader: BenchClient,
  topic: string,
  topics: BenchTopics,
  settings: NoLossSettings,
): Promise<NoLossRun> {
  const keys = assetKeys(settings.keys);
  const keyIndex = new Map(keys.map((key, i) => [key.toString(), i]));
  const proxy = await startProxy(settings);
  const faultTarget = { ...directTarget, brokers: [`127.0.0.1:${settings.proxyPort}`] };
  // 0 = not issued, 1 = acknowledged, 2 = rejected
  const outcome = new Uint8Array(settings.messages);
  const thresholds = settings.cutsAt.map((f) => Math.floor(f * settings.messages));
  let cuts = 0;
  let cutOpen = false;
  let restoreTimer: NodeJS.Timeout | undefined;
  let produceMs = 0;
  let severed = 0;
  let errors: string[] = [];
  try {
    const producer = await client.createProducer(faultTarget, `bench-${client.id}-no-loss`);
    try {
      const calls = Math.ceil(settings.messages / settings.batch);
      const result = await runWindow(
        calls,
        settings.inFlight,
        (call) => {
          const first = call * settings.batch;
          const last = Math.min(settings.messages, first + settings.batch);
          const messages = [];
          for (let i = first; i < last; i++) {
            const key = keys[i % settings.keys] as Buffer;
            messages.push({ key, value: sequencedValue(Math.floor(i / settings.keys), settings.valueSize) });
          }
          return producer.send(topic, messages).then(
            () => {
              outcome.fill(1, first, last);
            },
            (error: unknown) => {
              outcome.fill(2, first, last);
              throw error;
            },
          );
        },
        {
          deadlineMs: settings.deadlineMs,
          onSettled(settled) {
            const messagesSettled = settled * settings.batch;
            if (cutOpen || cuts >= thresholds.length || messagesSettled < (thresholds[cuts] ?? Infinity))
              return;
            cuts++;
            cutOpen = true;
            proxy.cut();
            restoreTimer = setTimeout(() => {
              proxy.restore();
              cutOpen = false;
            }, settings.cutMs);
          },
        },
      );
      produceMs = result.elapsedMs;
      errors = result.errors;
    } finally {
      clearTimeout(restoreTimer);
      proxy.restore();
      await withTimeout(producer.close(), 30_000, 'producer close').catch(() => {});
    }
  } finally {
    severed = proxy.severed;
    await proxy.stop();
  }

  const ends = await topics.endOffsets(topic, settings.partitions);
  const total = Number(ends.reduce((sum, end) => sum + end, 0n));
  const seen = new Uint16Array(settings.messages);
  const maxSeq = new Int32Array(settings.keys).fill(-1);
  const partitionOf = new Int16Array(settings.keys).fill(-1);
  let recordsRead = 0;
  let reordered = 0;
  let foreign = 0;
  const split = new Set<number>();
  let readerComplete = true;
  if (total > 0) {
    await reader
      .consume(directTarget, {
        topic,
        groupId: topics.group(`${topic}.verify`),
        timeoutMs: settings.deadlineMs,
        onRecord(record) {
          recordsRead++;
          const k = record.key ? keyIndex.get(record.key.toString()) : undefined;
          if (k === undefined || !record.value) {
            foreign++;
            return recordsRead >= total;
          }
          const seq = readSequence(record.value);
          const index = seq * settings.keys + k;
          if (index < settings.messages && seen[index] === 0 && seq < (maxSeq[k] ?? -1)) reordered++;
          if (index < settings.messages) seen[index] = (seen[index] ?? 0) + 1;
          maxSeq[k] = Math.max(maxSeq[k] ?? -1, seq);
          if ((partitionOf[k] ?? -1) === -1) partitionOf[k] = record.partition;
          else if (partitionOf[k] !== record.partition) split.add(k);
          return recordsRead >= total;
        },
      })
      .catch(() => {
        readerComplete = false;
      });
  }
  readerComplete &&= recordsRead === total && foreign === 0;

  const run: NoLossRun = {
    acked: 0,
    failed: 0,
    unsettled: 0,
    cuts,
    severedConnections: severed,
    produceMs,
    recordsRead,
    readerComplete,
    lostAcked: 0,
    lostReported: 0,
    writtenDespiteError: 0,
    duplicates: 0,
    reordered,
    keysOnSeveralPartitions: split.size,
    errors,
  };
  for (let i = 0; i < settings.messages; i++) {
    const copies = seen[i] ?? 0;
    if (copies > 1) run.duplicates += copies - 1;
    if (outcome[i] === 1) {
      run.acked++;
      if (copies === 0) run.lostAcked++;
    } else if (outcome[i] === 2) {
      run.failed++;
      if (copies === 0) run.lostReported++;
      else run.writtenDespiteError++;
    } else run.unsettled++;
  }
  return run;
}
