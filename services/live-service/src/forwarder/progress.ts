import type { PartitionOutcome } from './forward-batch.ts';

/** What the forwarders did on one partition since the last write to Postgres. */
export interface PartitionProgress {
  partition: number;
  nextOffset: bigint;
  forwarded: number;
  skipped: number;
  lastForwardedAt: Date;
  lastIngestTime: Date | undefined;
}

/**
 * Accumulates per-partition progress between writes, so the database sees one row update per
 * partition per interval whatever the event rate.
 */
export class ProgressAccumulator {
  readonly #pending = new Map<number, PartitionProgress>();

  record(outcomes: readonly PartitionOutcome[], at: Date): void {
    for (const outcome of outcomes) {
      const current = this.#pending.get(outcome.partition);
      const ingest = outcome.lastIngestTime === undefined ? undefined : new Date(outcome.lastIngestTime);
      if (!current) {
        this.#pending.set(outcome.partition, {
          partition: outcome.partition,
          nextOffset: outcome.nextOffset,
          forwarded: outcome.forwarded,
          skipped: outcome.skipped,
          lastForwardedAt: at,
          lastIngestTime: ingest,
        });
        continue;
      }
      if (outcome.nextOffset > current.nextOffset) current.nextOffset = outcome.nextOffset;
      current.forwarded += outcome.forwarded;
      current.skipped += outcome.skipped;
      current.lastForwardedAt = at;
      if (ingest) current.lastIngestTime = ingest;
    }
  }

  get size(): number {
    return this.#pending.size;
  }

  /** Takes what accumulated; `restore` puts it back when the write failed. */
  take(): PartitionProgress[] {
    const taken = [...this.#pending.values()];
    this.#pending.clear();
    return taken;
  }

  restore(progress: readonly PartitionProgress[]): void {
    for (const p of progress)
      this.record(
        [
          {
            partition: p.partition,
            nextOffset: p.nextOffset,
            forwarded: p.forwarded,
            skipped: p.skipped,
            lastIngestTime: p.lastIngestTime?.toISOString(),
          },
        ],
        p.lastForwardedAt,
      );
  }
}
