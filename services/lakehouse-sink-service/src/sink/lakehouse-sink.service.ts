import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { type AssetEvent, topics } from '@openfoundry/bus-registry';
import type { BatchConsumer, DataBus } from '@openfoundry/event-bus-data';
import { IcebergWriter, RestCatalog, TableMaintenance } from '@openfoundry/lakehouse';
import { InjectConfig, InjectDataBus } from '@openfoundry/service-kit';
import type { SinkConfig } from '../config.ts';
import { AssetTableWriter } from './asset-table-writer.ts';
import { CommitsRepository } from './commits.repository.ts';
import { offsetsJson } from './offsets.ts';
import { ParentGuard } from './parent-guard.ts';
import { SinkPipeline } from './sink-pipeline.ts';
import { type MaintenanceRun, TableMaintainer } from './table-maintainer.ts';

export const SINK_GROUP = 'lakehouse-sink-service.asset-events';
/** Unreferenced files younger than this may belong to a commit in flight (ADR 0013's platform margin). */
const ORPHAN_AGE_MS = 3 * 24 * 3_600_000;

export interface SinkStatus {
  topic: string;
  group: string;
  running: boolean;
  failure: string | null;
  consumer: { batches: number; records: number; deadLettered: number; retried: number };
  /** Per partition: the next offset read, and the next offset Kafka was told (everything below is in Iceberg). */
  partitions: {
    partition: number;
    read: string;
    committed: string | null;
    /** The partition's end, and end − committed: records not yet in Iceberg through this instance. */
    end: string | null;
    lag: string | null;
  }[];
  tenants: {
    tenant: string;
    table: string;
    bufferedRecords: number;
    bufferedBytes: number;
    /** How long the oldest buffered record has waited (0 when nothing is buffered). */
    bufferedForMs: number;
    lastCommit: { at: string; snapshotId: string | undefined; records: number } | null;
    lastError: { at: string; message: string } | null;
    lastMaintenance: (MaintenanceRun & { at: string }) | null;
  }[];
}

/**
 * The lakehouse sink (ADR 0003): this instance's member of the sink's consumer group on the asset
 * stream. Batches feed the SinkPipeline; Kafka offsets are committed by hand, only once the Iceberg
 * commits covering them are in.
 */
@Injectable()
export class LakehouseSinkService implements OnApplicationBootstrap, OnModuleDestroy {
  readonly #logger = new Logger(LakehouseSinkService.name);
  readonly #guard = new ParentGuard();
  readonly #catalog: RestCatalog;
  readonly #iceberg: IcebergWriter;
  readonly #writer: AssetTableWriter;
  readonly #pipeline: SinkPipeline;
  readonly #maintenance: TableMaintenance;
  readonly #maintainer: TableMaintainer;
  /** Tenants committed to since their table was last maintained, with how many commits. */
  readonly #dirty = new Map<string, number>();
  readonly #maintained = new Map<string, MaintenanceRun & { at: string }>();
  #maintaining: Promise<void> | undefined;
  #consumer: BatchConsumer<AssetEvent> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #maintenanceTimer: NodeJS.Timeout | undefined;
  #stopping = false;

  constructor(
    @InjectConfig() private readonly config: SinkConfig,
    @InjectDataBus() private readonly data: DataBus | null,
    @Inject(CommitsRepository) private readonly commits: CommitsRepository,
  ) {
    this.#catalog = new RestCatalog({
      uri: config.SINK_CATALOG_URL,
      token: config.SINK_CATALOG_TOKEN,
      warehouse: config.SINK_WAREHOUSE,
      fetch: this.#guard.fetch,
    });
    this.#iceberg = new IcebergWriter({ catalog: this.#catalog });
    this.#writer = new AssetTableWriter(this.#catalog, this.#iceberg, this.#guard, {
      topic: topics.assetEvents.name,
      namespace: config.SINK_NAMESPACE,
      table: config.SINK_TABLE,
      metadataVersionsMax: config.SINK_METADATA_VERSIONS_MAX,
    });
    const log = (level: 'log' | 'warn') => (fields: Record<string, unknown>, message: string) =>
      this.#logger[level](fields, message);
    this.#pipeline = new SinkPipeline(
      {
        commitTenant: (tenant, records) => this.#writer.commit(tenant, records),
        recordCommit: (commit, durationMs) => {
          // Until this process has maintained a table, its count starts from the table's own: a
          // sink restarted often still gets to the small files that earlier runs left.
          const counted = this.#dirty.get(commit.tenant);
          const commits =
            counted === undefined && !this.#maintained.has(commit.tenant)
              ? Math.max(1, commit.appendsSinceCompaction)
              : (counted ?? 0) + 1;
          this.#dirty.set(commit.tenant, commits);
          const due = this.config.SINK_MAINTENANCE_COMMITS;
          if (due > 0 && commits >= due && !this.#stopping) void this.maintain();
          return this.commits.record(commit, durationMs);
        },
        commitOffsets: async (offsets) => {
          await this.#consumer?.commit(offsets);
          this.#logger.debug?.({ offsets: offsetsJson(offsets) }, 'Kafka offsets committed');
        },
        log: { info: log('log'), warn: log('warn') },
      },
      {
        commitIntervalMs: config.SINK_COMMIT_INTERVAL_MS,
        commitBytes: config.SINK_COMMIT_BYTES,
        bufferBytes: config.SINK_BUFFER_BYTES,
      },
    );
    this.#maintenance = new TableMaintenance({ catalog: this.#catalog });
    this.#maintainer = new TableMaintainer(this.#maintenance, {
      compactTargetBytes: config.SINK_COMPACT_TARGET_BYTES,
      snapshotRetentionMs: config.SINK_SNAPSHOT_RETENTION_MS,
      retainSnapshots: config.SINK_RETAIN_SNAPSHOTS,
      orphanAgeMs: ORPHAN_AGE_MS,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.data) return;
    await this.waitForCatalog();
    this.#consumer = await this.data.consumeBatches<AssetEvent>(topics.assetEvents, {
      group: SINK_GROUP,
      commit: 'manual',
      // A device's resend after a connector crash is not a second reading (ADR 0016).
      repeats: 'skip',
      // A failed Iceberg commit keeps its records buffered and the batch comes again (backing off
      // to 5 s): the sink waits for the catalog rather than stopping.
      maxAttempts: Number.MAX_SAFE_INTEGER,
      handler: async (batch) => {
        if (!this.#stopping) await this.#pipeline.handle(batch);
      },
    });
    // A buffer is committed within a tick of its interval: the check is cheap, so ticks are short.
    const tickMs = Math.max(50, Math.min(250, Math.floor(this.config.SINK_COMMIT_INTERVAL_MS / 4)));
    this.#timer = setInterval(() => void this.#pipeline.tick(), tickMs);
    this.#timer.unref();
    if (this.config.SINK_MAINTENANCE_INTERVAL_MS > 0) {
      this.#maintenanceTimer = setInterval(
        () => void this.maintain(),
        this.config.SINK_MAINTENANCE_INTERVAL_MS,
      );
      this.#maintenanceTimer.unref();
    }
    this.#logger.log(
      {
        group: SINK_GROUP,
        intervalMs: this.config.SINK_COMMIT_INTERVAL_MS,
        commitBytes: this.config.SINK_COMMIT_BYTES,
      },
      'lakehouse sink started',
    );
  }

  /** Commits what is buffered and the offsets it covers, then leaves the group. */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.#timer);
    clearInterval(this.#maintenanceTimer);
    this.#stopping = true;
    await this.#maintaining;
    const consumer = this.#consumer;
    try {
      if (consumer) await this.#pipeline.flush();
    } catch (error) {
      this.#logger.error(
        { err: error },
        'buffered records not committed at shutdown; the next start reads them again',
      );
    } finally {
      this.#consumer = undefined;
      await consumer?.close();
      await this.#iceberg.close();
      await this.#maintenance.close();
    }
    if (consumer) this.#logger.log({ ...consumer.stats }, 'lakehouse sink stopped');
  }

  /**
   * Compacts and expires the tables committed to since their last run, one at a time; a table that
   * fails is tried again next time. Runs beside the appends: each step is a compare-and-swap.
   */
  maintain(): Promise<void> {
    this.#maintaining ??= (async () => {
      const tenants = [...this.#dirty.keys()];
      this.#dirty.clear();
      for (const tenant of tenants) {
        if (this.#stopping) {
          this.#dirty.set(tenant, this.#dirty.get(tenant) ?? 0);
          continue;
        }
        try {
          const run = await this.#maintainer.run(this.#writer.table(tenant));
          this.#maintained.set(tenant, { ...run, at: new Date().toISOString() });
          this.#logger.log({ tenant, ...run }, 'table maintained');
        } catch (error) {
          // Tried again at the next interval, or once as many commits again have gone in.
          this.#dirty.set(tenant, this.#dirty.get(tenant) ?? 0);
          this.#logger.warn({ tenant, err: error }, 'table maintenance failed; tried again next time');
        }
      }
    })().finally(() => {
      this.#maintaining = undefined;
    });
    return this.#maintaining;
  }

  /** Readiness: the consumer runs and the catalog answers with the sink's token. */
  async check(): Promise<void> {
    const failure = this.#consumer?.failure;
    if (failure) throw new Error(`asset-stream consumer stopped: ${failure.message}`);
    await this.catalogReachable();
  }

  async status(): Promise<SinkStatus> {
    const { buffered, tenants, read, committed } = this.#pipeline.status();
    const names = new Set([...buffered.map((b) => b.tenant), ...tenants.keys()]);
    const consumer = this.#consumer;
    // Lag is best effort: a status answer does not fail because the broker is slow to say its ends.
    const ends = (await consumer?.endOffsets().catch(() => undefined)) ?? new Map<number, bigint>();
    const now = Date.now();
    return {
      topic: topics.assetEvents.name,
      group: SINK_GROUP,
      running: consumer !== undefined && !consumer.failure,
      failure: consumer?.failure?.message ?? null,
      consumer: {
        ...(consumer?.stats ?? { batches: 0, records: 0, deadLettered: 0, retried: 0, repeats: 0 }),
      },
      partitions: [...read]
        .sort(([a], [b]) => a - b)
        .map(([partition, offset]) => {
          const end = ends.get(partition);
          const done = committed.get(partition);
          return {
            partition,
            read: offset.toString(),
            committed: done?.toString() ?? null,
            end: end?.toString() ?? null,
            lag: end === undefined || done === undefined ? null : (end > done ? end - done : 0n).toString(),
          };
        }),
      tenants: [...names].sort().map((tenant) => {
        const b = buffered.find((x) => x.tenant === tenant);
        const t = tenants.get(tenant);
        const table = this.#writer.table(tenant);
        return {
          tenant,
          table: [...table.namespace, table.name].join('.'),
          bufferedRecords: b?.records ?? 0,
          bufferedBytes: b?.bytes ?? 0,
          bufferedForMs: b ? now - b.since.getTime() : 0,
          lastCommit: t?.lastCommit ? { ...t.lastCommit, at: t.lastCommit.at.toISOString() } : null,
          lastError: t?.lastError ? { ...t.lastError, at: t.lastError.at.toISOString() } : null,
          lastMaintenance: this.#maintained.get(tenant) ?? null,
        };
      }),
    };
  }

  /**
   * Boot waits for the catalog while it cannot be reached or answers 5xx (it may be starting at the
   * same time), up to SINK_CATALOG_WAIT_MS; a refused token or another answer fails at once.
   */
  private async waitForCatalog(): Promise<void> {
    const deadline = Date.now() + this.config.SINK_CATALOG_WAIT_MS;
    for (let attempt = 1; ; attempt++) {
      let problem: string;
      try {
        return await this.catalogReachable();
      } catch (error) {
        if (error instanceof CatalogRefused) throw error;
        problem = (error as Error).message;
      }
      if (Date.now() >= deadline || this.#stopping) throw new Error(problem);
      this.#logger.warn(
        { catalog: this.config.SINK_CATALOG_URL, attempt, problem },
        'waiting for the Iceberg catalog',
      );
      await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * 2 ** attempt)));
    }
  }

  /** One probe of the catalog's /v1/config with the sink's token (readiness asks this). */
  private async catalogReachable(): Promise<void> {
    const url = `${this.config.SINK_CATALOG_URL.replace(/\/+$/, '')}/v1/config?warehouse=${encodeURIComponent(this.config.SINK_WAREHOUSE)}`;
    let response: Response;
    try {
      response = await fetch(url, { headers: { authorization: `Bearer ${this.config.SINK_CATALOG_TOKEN}` } });
    } catch (error) {
      throw new Error(
        `Iceberg catalog unreachable at ${this.config.SINK_CATALOG_URL}: ${(error as Error).message}`,
      );
    }
    await response.arrayBuffer();
    if (response.ok) return;
    if (response.status === 401) throw new CatalogRefused('Iceberg catalog refused SINK_CATALOG_TOKEN (401)');
    const message = `Iceberg catalog answered ${response.status} to /v1/config`;
    if (response.status < 500) throw new CatalogRefused(message);
    throw new Error(`Iceberg catalog unreachable at ${this.config.SINK_CATALOG_URL}: ${message}`);
  }
}

class CatalogRefused extends Error {}
