import { Injectable } from '@nestjs/common';
import { InjectDb } from '@openfoundry/service-kit';
import { type Kysely, sql } from 'kysely';
import type { LiveDatabase } from '../database.ts';
import type { PartitionProgress } from './progress.ts';

export interface PartitionRow {
  partition: number;
  nextOffset: string;
  eventsForwarded: string;
  eventsSkipped: string;
  lastForwardedAt: string;
  lastEventIngestTime: string | null;
  instance: string;
  updatedAt: string;
}

@Injectable()
export class ProgressRepository {
  constructor(@InjectDb() private readonly db: Kysely<LiveDatabase>) {}

  /** Adds the counts and moves offsets and times forward only (a rebalance may replay a batch). */
  async save(topic: string, instance: string, progress: readonly PartitionProgress[]): Promise<void> {
    if (progress.length === 0) return;
    await this.db
      .insertInto('forwarder_partitions')
      .values(
        progress.map((p) => ({
          topic,
          partition: p.partition,
          next_offset: p.nextOffset,
          events_forwarded: String(p.forwarded),
          events_skipped: String(p.skipped),
          last_forwarded_at: p.lastForwardedAt,
          last_event_ingest_time: p.lastIngestTime ?? null,
          instance,
          updated_at: new Date(),
        })),
      )
      .onConflict((oc) =>
        oc.columns(['topic', 'partition']).doUpdateSet({
          next_offset: sql`greatest(forwarder_partitions.next_offset, excluded.next_offset)`,
          events_forwarded: sql`forwarder_partitions.events_forwarded + excluded.events_forwarded`,
          events_skipped: sql`forwarder_partitions.events_skipped + excluded.events_skipped`,
          last_forwarded_at: sql`greatest(forwarder_partitions.last_forwarded_at, excluded.last_forwarded_at)`,
          last_event_ingest_time: sql`coalesce(greatest(forwarder_partitions.last_event_ingest_time, excluded.last_event_ingest_time), forwarder_partitions.last_event_ingest_time)`,
          instance: sql`excluded.instance`,
          updated_at: sql`excluded.updated_at`,
        }),
      )
      .execute();
  }

  async list(topic: string): Promise<PartitionRow[]> {
    const rows = await this.db
      .selectFrom('forwarder_partitions')
      .selectAll()
      .where('topic', '=', topic)
      .orderBy('partition')
      .execute();
    return rows.map((r) => ({
      partition: r.partition,
      nextOffset: String(r.next_offset),
      eventsForwarded: String(r.events_forwarded),
      eventsSkipped: String(r.events_skipped),
      lastForwardedAt: r.last_forwarded_at.toISOString(),
      lastEventIngestTime: r.last_event_ingest_time?.toISOString() ?? null,
      instance: r.instance,
      updatedAt: r.updated_at.toISOString(),
    }));
  }
}
