import { type AssetEvent, BusError, BusErrorCode } from '@openfoundry/bus-registry';

/** The part of a data-bus batch the forwarder reads (structurally a `DataBatch<AssetEvent>`). */
export interface ForwardRecord {
  readonly partition: number;
  readonly offset: bigint;
  readonly value: AssetEvent;
}
export interface ForwardBatch {
  readonly records: readonly ForwardRecord[];
  readonly nextOffsets: ReadonlyMap<number, bigint>;
}

/** Puts one event on its live subject; resolves once the NATS server has it. */
export type PublishLive = (event: AssetEvent) => Promise<unknown>;

export interface PartitionOutcome {
  partition: number;
  nextOffset: bigint;
  forwarded: number;
  /** Events NATS cannot carry (over its payload limit): logged, left to state and the lakehouse. */
  skipped: number;
  /** `ingestTime` of the partition's last forwarded event. */
  lastIngestTime: string | undefined;
}

export interface SkippedEvent {
  partition: number;
  offset: bigint;
  eventId: string;
  reason: string;
}

export interface ForwardOutcome {
  partitions: PartitionOutcome[];
  skipped: SkippedEvent[];
}

/** Rejections that repeating the batch cannot fix: the event itself is not publishable on NATS. */
const permanent = (error: unknown) =>
  error instanceof BusError &&
  (error.code === BusErrorCode.TooLarge || error.code === BusErrorCode.InvalidPayload);

/**
 * Publishes every event of a batch without waiting between them: each publish is handed to the
 * NATS client synchronously, in batch order, so events of one asset (one partition) leave in stream
 * order; the batch resolves once the server has confirmed all of them. A transient failure rejects
 * the whole batch, which the consumer then redelivers (events already sent go out again:
 * at-least-once). Events NATS can never carry are reported as skipped instead of blocking the
 * partition forever.
 */
export async function forwardBatch(batch: ForwardBatch, publish: PublishLive): Promise<ForwardOutcome> {
  const pending: Promise<unknown>[] = new Array(batch.records.length);
  for (let i = 0; i < batch.records.length; i++) {
    const record = batch.records[i] as ForwardRecord;
    try {
      pending[i] = publish(record.value);
    } catch (error) {
      pending[i] = Promise.reject(error);
    }
  }
  const settled = await Promise.allSettled(pending);
  const skipped: SkippedEvent[] = [];
  const byPartition = new Map<number, PartitionOutcome>();
  for (const [partition, nextOffset] of batch.nextOffsets)
    byPartition.set(partition, {
      partition,
      nextOffset,
      forwarded: 0,
      skipped: 0,
      lastIngestTime: undefined,
    });
  for (let i = 0; i < settled.length; i++) {
    const result = settled[i] as PromiseSettledResult<unknown>;
    const record = batch.records[i] as ForwardRecord;
    let outcome = byPartition.get(record.partition);
    if (!outcome) {
      outcome = {
        partition: record.partition,
        nextOffset: record.offset + 1n,
        forwarded: 0,
        skipped: 0,
        lastIngestTime: undefined,
      };
      byPartition.set(record.partition, outcome);
    }
    if (result.status === 'fulfilled') {
      outcome.forwarded++;
      outcome.lastIngestTime = record.value.ingestTime;
    } else if (permanent(result.reason)) {
      outcome.skipped++;
      skipped.push({
        partition: record.partition,
        offset: record.offset,
        eventId: record.value.eventId,
        reason: (result.reason as Error).message,
      });
    } else {
      throw result.reason;
    }
  }
  return { partitions: [...byPartition.values()], skipped };
}
