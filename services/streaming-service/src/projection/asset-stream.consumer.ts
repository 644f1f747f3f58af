import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type AssetEvent, topics } from '@openfoundry/bus-registry';
import type { BatchConsumer, DataBatch, DataBus } from '@openfoundry/event-bus-data';
import { InjectConfig, InjectDataBus, InjectOutbox, type OutboxRelay } from '@openfoundry/service-kit';
import type { StreamingConfig } from '../config.ts';
import { RebuildInProgressError } from './projection.errors.ts';
import { ProjectionService } from './projection.service.ts';

export const ASSET_STATE_GROUP = 'streaming-service.asset-state';
/** How often a consumer that gave up on a batch (after the library's retries) is restarted. */
export const RESTART_INTERVAL_MS = 5_000;

export interface ConsumerStatus {
  state: 'disabled' | 'stopped' | 'running' | 'rebuilding' | 'failed';
  failure?: string;
  startedFrom?: 'committed' | 'earliest';
  /** Restarts after the consumer gave up on a batch. */
  restarts: number;
  batches: number;
  records: number;
  applied: number;
  skipped: number;
  deadLettered: number;
  retried: number;
  /** Records skipped as repeats of an earlier one (ADR 0016). */
  repeats: number;
  /** The next asset-stream offset per partition already in the read models. */
  offsets: Record<string, string>;
  /** Per partition, records on the asset stream not yet in the read models (absent while stopped). */
  lag?: Record<string, string>;
}

/**
 * The one consumer of the asset stream. It starts with the application and stops with it (the
 * batch in flight finishes first). A read model without stored offsets — a fresh database, or one
 * a rebuild emptied — is filled by a replay from the beginning of the stream; otherwise it resumes
 * from the group's committed offsets, and the stored offsets skip whatever is redelivered.
 */
@Injectable()
export class AssetStreamConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly #logger = new Logger(AssetStreamConsumer.name);
  #consumer: BatchConsumer<AssetEvent> | undefined;
  #startedFrom: 'committed' | 'earliest' | undefined;
  #rebuilding: Promise<void> | undefined;
  #stopped = false;
  #restarting = false;
  #supervisor: NodeJS.Timeout | undefined;
  #restarts = 0;
  #applied = 0;
  #skipped = 0;
  #batches = 0;

  constructor(
    private readonly projection: ProjectionService,
    @InjectDataBus() private readonly bus: DataBus | null,
    @InjectOutbox() private readonly outbox: OutboxRelay | null,
    @InjectConfig() private readonly config: StreamingConfig,
  ) {}

  /** Whether this process consumes at all (a data bus and STREAMING_CONSUME). */
  get enabled(): boolean {
    return this.bus !== null && this.config.STREAMING_CONSUME;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.enabled) return;
    await this.#resume();
    this.#supervisor = setInterval(() => void this.#restartIfFailed(), RESTART_INTERVAL_MS);
    this.#supervisor.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#supervisor);
    await this.#rebuilding?.catch(() => {});
    await this.#stop();
  }

  /**
   * Stops consuming, empties read models and offsets in one transaction, and consumes again from
   * the beginning of the stream. Resolves once the replay has started.
   */
  rebuild(): Promise<void> {
    if (this.#rebuilding) throw new RebuildInProgressError();
    this.#rebuilding = (async () => {
      this.#logger.log('rebuild: stopping the consumer');
      await this.#stop();
      try {
        await this.projection.reset();
        this.#logger.log('rebuild: read models and offsets emptied; replaying from the beginning');
      } finally {
        // After a failed reset the offsets are still there and consuming simply resumes.
        if (!this.#stopped && this.enabled) await this.#resume();
      }
    })().finally(() => {
      this.#rebuilding = undefined;
    });
    return this.#rebuilding;
  }

  /** Rejects unless batches are flowing (or the consumer is disabled on purpose). */
  async check(): Promise<void> {
    if (!this.enabled) return;
    if (this.#rebuilding) return;
    if (!this.#consumer) throw new Error('the asset-stream consumer is not running');
    if (this.#consumer.failure) throw this.#consumer.failure;
  }

  async status(): Promise<ConsumerStatus> {
    const consumer = this.#consumer;
    const state: ConsumerStatus['state'] = !this.enabled
      ? 'disabled'
      : this.#rebuilding
        ? 'rebuilding'
        : !consumer
          ? 'stopped'
          : consumer.failure
            ? 'failed'
            : 'running';
    const offsets = await this.projection.offsets();
    // Lag is best effort: a status answer does not fail because the broker is slow to say its ends.
    const ends = await consumer?.endOffsets().catch(() => undefined);
    const lag = ends
      ? Object.fromEntries(
          [...ends].map(([p, end]) => {
            const behind = end - (offsets.get(p) ?? 0n);
            return [String(p), String(behind > 0n ? behind : 0n)];
          }),
        )
      : undefined;
    return {
      state,
      ...(consumer?.failure ? { failure: consumer.failure.message } : {}),
      ...(this.#startedFrom ? { startedFrom: this.#startedFrom } : {}),
      restarts: this.#restarts,
      batches: this.#batches,
      records: consumer?.stats.records ?? 0,
      applied: this.#applied,
      skipped: this.#skipped,
      deadLettered: consumer?.stats.deadLettered ?? 0,
      retried: consumer?.stats.retried ?? 0,
      repeats: consumer?.stats.repeats ?? 0,
      offsets: Object.fromEntries(
        [...offsets].sort(([a], [b]) => a - b).map(([p, o]) => [String(p), String(o)]),
      ),
      ...(lag ? { lag } : {}),
    };
  }

  /** Starts where the read models stand: from the beginning when they hold no offsets. */
  async #resume(): Promise<void> {
    const empty = (await this.projection.offsets()).size === 0;
    await this.#start(empty ? 'earliest' : 'committed');
  }

  /**
   * A consumer stops for good after a batch failed every attempt (the database down for a while,
   * say). Nothing of that batch was committed, so starting again from the stored offsets is safe.
   */
  async #restartIfFailed(): Promise<void> {
    if (this.#restarting || this.#rebuilding || this.#stopped) return;
    const failure = this.#consumer ? this.#consumer.failure : new Error('the consumer is not running');
    if (!failure) return;
    this.#restarting = true;
    try {
      this.#logger.error({ msg: 'consumer stopped on a failure; restarting it', err: failure });
      await this.#stop().catch(() => {});
      await this.#resume();
      this.#restarts += 1;
    } catch (error) {
      this.#logger.error({ msg: 'consumer restart failed; trying again', err: error });
    } finally {
      this.#restarting = false;
    }
  }

  async #start(start: 'committed' | 'earliest'): Promise<void> {
    if (!this.bus) return;
    this.#consumer = await this.bus.consumeBatches(topics.assetEvents, {
      group: ASSET_STATE_GROUP,
      handler: (batch) => this.#handle(batch),
      commit: 'after-handler',
      // A device's resend after a connector crash is not a second reading (ADR 0016).
      repeats: 'skip',
      start,
      from: 'earliest',
      maxRecords: this.config.STREAMING_BATCH_MAX_RECORDS,
      maxWaitMs: this.config.STREAMING_BATCH_MAX_WAIT_MS,
    });
    this.#startedFrom = start;
    this.#logger.log({ msg: 'consuming the asset stream', start, group: ASSET_STATE_GROUP });
  }

  async #stop(): Promise<void> {
    const consumer = this.#consumer;
    this.#consumer = undefined;
    await consumer?.close();
  }

  async #handle(batch: DataBatch<AssetEvent>): Promise<void> {
    const started = performance.now();
    const result = await this.projection.apply(batch);
    this.#batches += 1;
    this.#applied += result.applied;
    this.#skipped += result.skipped;
    this.outbox?.poke();
    this.#logger.debug({
      msg: 'batch applied',
      ...result,
      records: batch.records.length,
      ms: Math.round(performance.now() - started),
    });
  }
}
