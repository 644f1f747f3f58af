import type { AssetEvent } from '@openfoundry/bus-registry';
import type { DataBatch } from '@openfoundry/event-bus-data';
import type { TenantCommit } from './asset-table-writer.ts';
import type { PartitionOffsets } from './offsets.ts';
import { type BufferedTenant, SinkBuffer } from './sink-buffer.ts';
import type { SinkRecord, StagedEvents } from './staged-events.ts';

export interface SinkPipelineOptions {
  commitIntervalMs: number;
  /** A tenant whose buffer holds this many bytes is committed at once. */
  commitBytes: number;
  /** When all buffers together hold this many bytes, the largest are committed until they do not. */
  bufferBytes?: number;
}

export interface SinkPipelineDeps {
  /** Appends a tenant's staged records to its table, exactly once by offset. */
  commitTenant(tenant: string, staged: readonly StagedEvents[]): Promise<TenantCommit>;
  /** Records a commit in the service's own log (after it is in Iceberg). */
  recordCommit(commit: TenantCommit, durationMs: number): Promise<void>;
  /** Tells Kafka the group's next offsets (manual commit). */
  commitOffsets(offsets: PartitionOffsets): Promise<void>;
  log: {
    info(fields: Record<string, unknown>, message: string): void;
    warn(fields: Record<string, unknown>, message: string): void;
  };
  now?: () => number;
}

export interface TenantStatus {
  lastCommit?: { at: Date; snapshotId: string | undefined; records: number };
  lastError?: { at: Date; message: string };
}

/**
 * The sink's core, free of Kafka and HTTP: batches go into per-tenant buffers; a tenant is
 * committed to Iceberg when its buffer is full (inside the batch handler, so a slow catalog slows
 * the consumer) or when its oldest record has waited the interval (on `tick`); after each commit,
 * Kafka is told the offsets below which nothing is held only in memory. Everything runs one step
 * at a time, so a commit never sees a buffer change under it.
 */
export class SinkPipeline {
  private readonly buffer = new SinkBuffer();
  private readonly tenants = new Map<string, TenantStatus>();
  private committedToKafka: PartitionOffsets = new Map();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;

  constructor(
    private readonly deps: SinkPipelineDeps,
    private readonly options: SinkPipelineOptions,
  ) {
    this.now = deps.now ?? Date.now;
  }

  /** The batch handler: buffers, then commits the tenants whose buffer is full. Throws if one fails (the batch comes again). */
  handle(batch: DataBatch<AssetEvent>): Promise<void> {
    return this.serially(async () => {
      const records = batch.records.map(
        (r): SinkRecord => ({
          partition: r.partition,
          offset: r.offset,
          size: r.size,
          tenant: r.value.tenant,
          bytes: r.bytes,
        }),
      );
      const added = this.buffer.add(records, batch.nextOffsets, this.now());
      for (const tenant of this.buffer.full(this.options.commitBytes)) await this.commitTenant(tenant);
      for (const tenant of this.overBudget()) await this.commitTenant(tenant);
      // A batch that added nothing (dead letters only, or records already buffered) may still move Kafka.
      if (added === 0) await this.commitOffsets();
    });
  }

  /** Commits the tenants whose oldest record waited the interval; failures stay buffered for the next tick. */
  tick(): Promise<void> {
    return this.serially(async () => {
      for (const tenant of this.buffer.due(this.options.commitIntervalMs, this.now())) {
        await this.commitTenant(tenant).catch(() => undefined);
      }
    });
  }

  /** Commits everything buffered (shutdown); throws if a tenant could not be committed. */
  flush(): Promise<void> {
    return this.serially(async () => {
      const failures: unknown[] = [];
      for (const { tenant } of this.buffer.buffered()) {
        await this.commitTenant(tenant).catch((error: unknown) => failures.push(error));
      }
      await this.commitOffsets();
      if (failures.length)
        throw new Error(`${failures.length} tenant(s) not committed: ${(failures[0] as Error).message}`);
    });
  }

  status(): {
    buffered: BufferedTenant[];
    tenants: Map<string, TenantStatus>;
    read: PartitionOffsets;
    committed: PartitionOffsets;
  } {
    return {
      buffered: this.buffer.buffered(),
      tenants: this.tenants,
      read: this.buffer.readOffsets(),
      committed: new Map(this.committedToKafka),
    };
  }

  /** The largest buffers, as many as it takes to bring the total under the budget. */
  private overBudget(): string[] {
    const budget = this.options.bufferBytes;
    if (budget === undefined) return [];
    const buffered = this.buffer.buffered().sort((a, b) => b.bytes - a.bytes);
    let total = buffered.reduce((n, b) => n + b.bytes, 0);
    const chosen: string[] = [];
    for (const b of buffered) {
      if (total < budget) break;
      chosen.push(b.tenant);
      total -= b.bytes;
    }
    return chosen;
  }

  private async commitTenant(tenant: string): Promise<void> {
    const staged = this.buffer.staged(tenant);
    if (staged.length === 0) return;
    const records = staged.reduce((n, s) => n + s.count, 0);
    const started = this.now();
    const status = this.tenants.get(tenant) ?? {};
    this.tenants.set(tenant, status);
    let commit: TenantCommit;
    try {
      commit = await this.deps.commitTenant(tenant, staged);
    } catch (error) {
      status.lastError = { at: new Date(this.now()), message: (error as Error).message };
      this.deps.log.warn({ tenant, records, err: error }, 'Iceberg commit failed; records stay buffered');
      throw error;
    }
    this.buffer.release(tenant, staged.length, this.now());
    const durationMs = this.now() - started;
    status.lastCommit = {
      at: new Date(this.now()),
      snapshotId: commit.snapshotId?.toString(),
      records: commit.records,
    };
    this.deps.log.info(
      {
        tenant,
        snapshotId: commit.snapshotId?.toString(),
        records: commit.records,
        duplicates: commit.duplicates,
        attempts: commit.attempts,
        durationMs,
      },
      commit.snapshotId === undefined
        ? 'records already in Iceberg; nothing committed'
        : 'committed to Iceberg',
    );
    if (commit.snapshotId !== undefined)
      // The log is for operators; the data and its offsets are already in Iceberg.
      await this.deps
        .recordCommit(commit, durationMs)
        .catch((error: unknown) => this.deps.log.warn({ tenant, err: error }, 'commit not logged'));
    await this.commitOffsets();
  }

  /** Tells Kafka every partition whose durable offset moved. */
  private async commitOffsets(): Promise<void> {
    const moved: PartitionOffsets = new Map();
    for (const [partition, offset] of this.buffer.durableOffsets()) {
      const committed = this.committedToKafka.get(partition);
      if (committed === undefined || offset > committed) moved.set(partition, offset);
    }
    if (moved.size === 0) return;
    await this.deps.commitOffsets(moved);
    for (const [partition, offset] of moved) this.committedToKafka.set(partition, offset);
  }

  private serially<T>(step: () => Promise<T>): Promise<T> {
    const run = this.queue.then(step, step);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
