import { Injectable, Logger } from '@nestjs/common';
import { type AssetEvent, assetKey, isoMillis, topics } from '@openfoundry/bus-registry';
import type { DataBus, Publisher } from '@openfoundry/event-bus-data';
import { InjectConfig, InjectDataBus } from '@openfoundry/service-kit';
import type { ConnectorConfig } from '../config.ts';
import { DLQ_REASONS, type DlqReason, type EventCheck } from './normalise.ts';

/** An asset-stream record: keyed `<tenant>/<asset>`, at the event's source time. */
const record = <E extends AssetEvent>(event: E) => ({
  key: assetKey(event.tenant, event.assetId),
  value: event,
  timestamp: isoMillis(event.sourceTime),
});

export interface DeadLetter {
  payload: Uint8Array;
  reason: DlqReason;
  detail: string;
  /** `<protocol>:<tenant>/<device>:<topic or node>` */
  source: string;
}

/**
 * Where accepted device data goes (the asset stream) and where rejected data goes (the device
 * dead-letter topic). Both resolve only once Kafka acknowledged, so callers acknowledge devices after.
 */
@Injectable()
export class AssetSink {
  private readonly logger = new Logger(AssetSink.name);
  private readonly events: Publisher<AssetEvent> | undefined;
  private readonly deadLetters: Publisher<Uint8Array> | undefined;
  private readonly maxInFlight: number;
  private inFlightCount = 0;
  /** Dead letters written since start, per reason (the replica's status endpoint reports them). */
  readonly deadLettersByReason: Record<DlqReason, number> = Object.fromEntries(
    DLQ_REASONS.map((reason) => [reason, 0]),
  ) as Record<DlqReason, number>;

  // The bus is null only while the OpenAPI document is built without buses.
  constructor(@InjectDataBus() bus: DataBus | null, @InjectConfig() config: ConnectorConfig) {
    this.events = bus?.publisher(topics.assetEvents, { job: 'connector-service.normalise' });
    this.deadLetters = bus?.publisher(topics.deviceDeadLetters, { job: 'connector-service.dead-letter' });
    this.maxInFlight = config.CONNECTOR_MAX_IN_FLIGHT;
  }

  /** Records handed to Kafka and not yet acknowledged. */
  get inFlight(): number {
    return this.inFlightCount;
  }

  /** Whether `count` more records fit in the in-flight budget (HTTP push answers 503 otherwise). */
  hasRoom(count: number): boolean {
    return this.inFlightCount + count <= this.maxInFlight;
  }

  /** Resolves when the data bus has room to queue more (Kafka keeps up again). */
  room(): Promise<void> {
    return this.publishers().events.room();
  }

  /**
   * Checks an event against the asset stream's registry schema and encodes it, once: `publish`
   * sends what this accepted without validating it again (normalise uses it for every event).
   */
  validate(event: AssetEvent): EventCheck {
    return this.publishers().events.validate(event);
  }

  /** Publishes events; those `validate` accepted are not validated again, any other event is. */
  async publish(events: readonly AssetEvent[]): Promise<void> {
    if (events.length === 0) return;
    const publisher = this.publishers().events;
    await this.track(
      events.length,
      events.every(publisher.isValidated)
        ? publisher.publishValidated(events.map(record))
        : publisher.publishMany(events.map(record)),
    );
  }

  async deadLetter(letter: DeadLetter): Promise<void> {
    this.logger.warn({
      msg: 'device data dead-lettered',
      reason: letter.reason,
      detail: letter.detail,
      source: letter.source,
    });
    await this.track(
      1,
      this.publishers().deadLetters.publish({
        key: letter.source,
        value: letter.payload,
        headers: {
          'dlq-reason': letter.reason,
          'dlq-detail': letter.detail.slice(0, 1024),
          'dlq-source': letter.source,
        },
      }),
    );
    this.deadLettersByReason[letter.reason] += 1;
  }

  private publishers() {
    if (!this.events || !this.deadLetters) throw new Error('connector-service runs without its data bus');
    return { events: this.events, deadLetters: this.deadLetters };
  }

  private async track<T>(count: number, sent: Promise<T>): Promise<T> {
    this.inFlightCount += count;
    try {
      return await sent;
    } finally {
      this.inFlightCount -= count;
    }
  }
}
