import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { type AssetEvent, subjects, topics } from '@openfoundry/bus-registry';
import type { ControlBus } from '@openfoundry/event-bus-control';
import type { BatchConsumer, DataBatch, DataBus } from '@openfoundry/event-bus-data';
import { InjectConfig, InjectControlBus, InjectDataBus } from '@openfoundry/service-kit';
import type { LiveConfig } from '../config.ts';
import { type ForwardBatch, forwardBatch, type PublishLive } from './forward-batch.ts';
import { type PartitionRow, ProgressRepository } from './progress.repository.ts';
import { ProgressAccumulator } from './progress.ts';

export const FORWARDER_GROUP = 'live-service.forwarder';

export interface ForwarderStatus {
  topic: string;
  group: string;
  /** This instance: whether its consumer runs, and what stopped it if it stopped. */
  instance: {
    id: string;
    running: boolean;
    failure: string | null;
    batches: number;
    records: number;
    retried: number;
    deadLettered: number;
    /** Records not published because they repeat an earlier one (ADR 0016). */
    repeats: number;
    skipped: number;
  };
  /** Every partition any instance has forwarded, as last written (at most one interval old). */
  partitions: (PartitionRow & {
    latencyMs: number | null;
    /** Records on the partition not yet forwarded: its end minus nextOffset (null while no consumer runs here). */
    lag: string | null;
  })[];
}

function lagOf(end: bigint | undefined, next: string): string | null {
  if (end === undefined) return null;
  const behind = end - BigInt(next);
  return String(behind > 0n ? behind : 0n);
}

/**
 * The forwarders (ADR 0003): this instance's member of the `live-service.forwarder` group on the
 * asset stream. Each batch is published to the live subjects and flushed before the consumer
 * commits its offsets, so a crash re-forwards at most the batch in flight (at-least-once).
 */
@Injectable()
export class ForwarderService implements OnApplicationBootstrap, OnModuleDestroy {
  readonly #logger = new Logger(ForwarderService.name);
  readonly instance = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  readonly #progress = new ProgressAccumulator();
  #consumer: BatchConsumer<AssetEvent> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #saving: Promise<void> = Promise.resolve();
  #skipped = 0;

  constructor(
    @InjectConfig() private readonly config: LiveConfig,
    @InjectDataBus() private readonly data: DataBus | null,
    @InjectControlBus() private readonly control: ControlBus | null,
    @Inject(ProgressRepository) private readonly repository: ProgressRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.LIVE_FORWARDERS_ENABLED || !this.data || !this.control) return;
    const publisher = this.control.publisher(subjects.liveAssetEvents);
    const publish: PublishLive = (events) =>
      publisher.publishEach(
        events.map((event) => ({
          tokens: { tenant: event.tenant, asset: event.assetId, attribute: event.attribute },
          // No message id: the event carries its own, and a core message without headers is
          // cheaper for the client, the server and every subscriber (ADR 0025).
          value: event,
        })),
      );
    this.#timer = setInterval(() => void this.saveProgress(), this.config.LIVE_PROGRESS_INTERVAL_MS);
    this.#timer.unref();
    this.#consumer = await this.data.consumeBatches<AssetEvent>(topics.assetEvents, {
      group: FORWARDER_GROUP,
      commit: 'after-handler',
      // A device's resend after a connector crash is not published twice (ADR 0016).
      repeats: 'skip',
      from: this.config.LIVE_FORWARDER_FROM,
      maxRecords: this.config.LIVE_FORWARDER_MAX_RECORDS,
      maxWaitMs: this.config.LIVE_FORWARDER_MAX_WAIT_MS,
      handler: (batch) => this.handle(batch, publish),
    });
    this.#logger.log({ instance: this.instance, group: FORWARDER_GROUP }, 'forwarder started');
  }

  async handle(batch: ForwardBatch | DataBatch<AssetEvent>, publish: PublishLive): Promise<void> {
    const outcome = await forwardBatch(batch, publish);
    for (const skipped of outcome.skipped) {
      this.#skipped++;
      this.#logger.warn(
        {
          partition: skipped.partition,
          offset: String(skipped.offset),
          eventId: skipped.eventId,
          reason: skipped.reason,
        },
        'event not forwarded: NATS cannot carry it (state and the lakehouse still have it)',
      );
    }
    this.#progress.record(outcome.partitions, new Date());
  }

  /** Writes the accumulated progress; one write at a time, failures retried with the next one. */
  saveProgress(): Promise<void> {
    this.#saving = this.#saving.then(async () => {
      const taken = this.#progress.take();
      if (taken.length === 0) return;
      try {
        await this.repository.save(topics.assetEvents.name, this.instance, taken);
      } catch (error) {
        this.#progress.restore(taken);
        this.#logger.warn({ err: (error as Error).message }, 'forwarder progress not saved; retrying');
      }
    });
    return this.#saving;
  }

  /** A readiness check: fails once the consumer stopped for good. */
  check(): Promise<void> {
    const failure = this.#consumer?.failure;
    return failure ? Promise.reject(failure) : Promise.resolve();
  }

  async status(): Promise<ForwarderStatus> {
    const rows = await this.repository.list(topics.assetEvents.name);
    const stats = this.#consumer?.stats;
    // Lag is best effort: a status answer does not fail because the broker is slow to say its ends.
    const ends = (await this.#consumer?.endOffsets().catch(() => undefined)) ?? new Map<number, bigint>();
    return {
      topic: topics.assetEvents.name,
      group: FORWARDER_GROUP,
      instance: {
        id: this.instance,
        running: this.#consumer !== undefined && this.#consumer.failure === undefined,
        failure: this.#consumer?.failure?.message ?? null,
        batches: stats?.batches ?? 0,
        records: stats?.records ?? 0,
        retried: stats?.retried ?? 0,
        deadLettered: stats?.deadLettered ?? 0,
        repeats: stats?.repeats ?? 0,
        skipped: this.#skipped,
      },
      partitions: rows.map((row) => ({
        ...row,
        latencyMs:
          row.lastEventIngestTime === null
            ? null
            : Date.parse(row.lastForwardedAt) - Date.parse(row.lastEventIngestTime),
        lag: lagOf(ends.get(row.partition), row.nextOffset),
      })),
    };
  }

  /** Lets the batch in flight finish (published, flushed, committed), then saves the last progress. */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.#timer);
    const consumer = this.#consumer;
    this.#consumer = undefined;
    await consumer?.close();
    await this.saveProgress();
    if (consumer) this.#logger.log({ instance: this.instance, ...consumer.stats }, 'forwarder stopped');
  }
}
