import { Injectable } from '@nestjs/common';
import { topics } from '@openfoundry/bus-registry';
import { appendToOutbox } from '@openfoundry/service-kit';
import { batchMessages } from './messages.ts';
import { ProjectionRepository } from './projection.repository.ts';
import { advanceOffsets, pendingRecords, project, type StreamRecord, touchedWindows } from './projection.ts';

export interface ProjectionBatch {
  readonly records: readonly StreamRecord[];
  /** Per partition of the batch, the offset after its last record (dead-lettered ones included). */
  readonly nextOffsets: ReadonlyMap<number, bigint>;
}

export interface AppliedBatch {
  /** Records applied now; the others were applied by an earlier delivery. */
  applied: number;
  skipped: number;
  states: number;
  windows: number;
}

// appendToOutbox writes one multi-row insert (6 parameters a row): stay far below 65,535.
const OUTBOX_CHUNK = 5_000;

/**
 * Applies asset-stream batches to the read models exactly once: rows, outbox messages and the
 * next offsets commit in one transaction, and records below the stored offsets are skipped.
 */
@Injectable()
export class ProjectionService {
  readonly topic = topics.assetEvents.name;

  constructor(private readonly repository: ProjectionRepository) {}

  apply(batch: ProjectionBatch): Promise<AppliedBatch> {
    return this.repository.transaction(async (repository, trx) => {
      const stored = await repository.lockOffsets(this.topic, [...batch.nextOffsets.keys()]);
      const fresh = pendingRecords(batch.records, stored);
      const current = await repository.loadAggregates(touchedWindows(fresh).values());
      const { states, aggregates } = project(fresh, current);
      await repository.upsertStates(states);
      await repository.upsertAggregates(aggregates);
      const messages = batchMessages(states, aggregates);
      for (let i = 0; i < messages.length; i += OUTBOX_CHUNK)
        await appendToOutbox(trx, messages.slice(i, i + OUTBOX_CHUNK));
      await repository.storeOffsets(this.topic, advanceOffsets(stored, batch.nextOffsets));
      return {
        applied: fresh.length,
        skipped: batch.records.length - fresh.length,
        states: states.length,
        windows: aggregates.length,
      };
    });
  }

  /** Empties read models and offsets in one transaction; the next consumer start replays from 0. */
  reset(): Promise<void> {
    return this.repository.transaction((repository) => repository.truncate());
  }

  offsets(): Promise<Map<number, bigint>> {
    return this.repository.offsets(this.topic);
  }
}
