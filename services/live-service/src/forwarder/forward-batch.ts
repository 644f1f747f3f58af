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

/** One event's fate in a live publish: sent, or never sendable (the error says why). */
export type LiveOutcome = { ok: true } | { ok: false; error: unknown };

/**
 * Puts every event on its live subject, in order, with one round trip; resolves once the NATS
 * server has them all. Events that can never be sent are reported in their place; a transport
 * failure rejects the whole call.
 */
export type PublishLive = (events: readonly AssetEvent[]) => Promise<readonly LiveOutcome[]>;

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
 * Publishes every event of a batch in one go: the NATS client gets them in batch order, so events of
 * one asset (one partition) leave in stream order, and one flush confirms them all. A transport
 * failure rejects the whole batch, which the consumer then redelivers (events already sent go out
 * again: at-least-once). Events NATS can never carry are reported as skipped instead of blocking
 * the partition forever.
 */
export async function forwardBatch(batch: ForwardBatch, publish: PublishLive): Promise<ForwardOutcome> {
  const settled = await publish(batch.records.map((r) => r.value));
  if (settled.length !== batch.records.length)
    throw new Error(`live publish answered ${settled.length} outcomes for ${batch.records.length} events`);
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
    const result = settled[i] as LiveOutcome;
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
    if (result.ok) {
      outcome.forwarded++;
      outcome.lastIngestTime = record.value.ingestTime;
    } else if (permanent(result.error)) {
      outcome.skipped++;
      skipped.push({
        partition: record.partition,
        offset: record.offset,
        eventId: record.value.eventId,
        reason: (result.error as Error).message,
      });
    } else {
      throw result.error;
    }
  }
  return { partitions: [...byPartition.values()], skipped };
}
