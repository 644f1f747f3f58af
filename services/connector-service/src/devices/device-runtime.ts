import type {
  AssetEvent,
  COMMAND_FAILURES,
  DEVICE_STATUSES,
  DeviceCommand,
  DeviceSpec,
  deviceCounters,
  PointMapping,
} from '@openfoundry/bus-registry';
import type { z } from 'zod';
import type { AssetSink } from '../ingest/asset-sink.ts';
import { type NormaliseContext, normalise, type Observation, type Rejection } from '../ingest/normalise.ts';

export type DeviceStatus = (typeof DEVICE_STATUSES)[number];
export type DeviceCounters = z.infer<typeof deviceCounters>;

/** What a protocol adapter answers for a command; the command service adds ids and timestamps. */
export type CommandResult =
  | { ok: true; result?: unknown }
  | { ok: false; code: (typeof COMMAND_FAILURES)[number]; message: string };

export interface RuntimeDeps {
  sink: AssetSink;
  replica: string;
  maxFutureSkewMs: number;
  maxAgeMs: number;
  /** Where OPC UA clients keep their certificates (CONNECTOR_OPCUA_PKI_DIR). */
  opcuaPkiDir?: string;
  log: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

/** The outcome of one item handed to `ingest`: published, or dead-lettered with a reason. */
export type ItemOutcome = { readonly ok: true } | Rejection;

/** The outcome of every accepted item (one object for all of them). */
const ACCEPTED: ItemOutcome = Object.freeze({ ok: true });

/**
 * One running device. Subclasses speak one protocol; this base turns their observations into asset
 * events (or dead letters) and keeps the counters the heartbeat reports.
 */
export abstract class DeviceRuntime {
  status: DeviceStatus = 'starting';
  detail: string | undefined;
  readonly counters: DeviceCounters = { received: 0, published: 0, deadLettered: 0, commands: 0 };

  constructor(
    readonly spec: DeviceSpec,
    protected readonly deps: RuntimeDeps,
  ) {}

  get key(): string {
    return `${this.spec.tenant}/${this.spec.id}`;
  }

  /** Connects (and keeps reconnecting) in the background; resolves once started, not once online. */
  abstract start(): Promise<void>;
  /** Disconnects; resolves when no more data will be published for this device. */
  abstract stop(): Promise<void>;
  /** Executes a command on the device. */
  abstract command(command: DeviceCommand): Promise<CommandResult>;

  protected setStatus(status: DeviceStatus, detail?: string): void {
    if (status !== this.status || detail !== this.detail)
      this.deps.log(status === 'error' ? 'warn' : 'info', `device ${status}`, { device: this.key, detail });
    this.status = status;
    this.detail = detail?.slice(0, 1024);
  }

  protected sourceOf(location: string): string {
    return `${this.spec.protocol}:${this.key}:${location}`;
  }

  /** Events are checked with the sink's validator, so publishing them does not check them again. */
  protected context(): NormaliseContext {
    return {
      validate: (event) => this.deps.sink.validate(event),
      tenant: this.spec.tenant,
      device: this.spec.id,
      protocol: this.spec.protocol,
      replica: this.deps.replica,
      allowedAssets: this.spec.allowedAssets,
      now: new Date(),
      maxFutureSkewMs: this.deps.maxFutureSkewMs,
      maxAgeMs: this.deps.maxAgeMs,
    };
  }

  /**
   * Normalises items, dead-letters the bad ones and publishes the good ones; resolves when Kafka
   * acknowledged all of them, so the caller may acknowledge the device.
   */
  async ingest(
    items: readonly {
      observation: Observation | Rejection;
      /** The bytes as the device sent them, for a dead letter; a function when they cost work to get. */
      raw: Uint8Array | (() => Uint8Array);
      location: string;
    }[],
  ): Promise<ItemOutcome[]> {
    const context = this.context();
    const good: AssetEvent[] = [];
    const outcomes: ItemOutcome[] = [];
    const letters: Promise<void>[] = [];
    this.counters.received += items.length;
    for (const item of items) {
      const result = 'ok' in item.observation ? item.observation : normalise(item.observation, context);
      if (result.ok) {
        good.push(result.value);
        outcomes.push(ACCEPTED);
      } else {
        outcomes.push(result);
        letters.push(
          this.deadLetter(typeof item.raw === 'function' ? item.raw() : item.raw, result, item.location),
        );
      }
    }
    await Promise.all([this.deps.sink.publish(good), ...letters]);
    this.counters.published += good.length;
    return outcomes;
  }

  async deadLetter(raw: Uint8Array, rejection: Rejection, location: string): Promise<void> {
    await this.deps.sink.deadLetter({
      payload: raw,
      reason: rejection.reason,
      detail: rejection.detail,
      source: this.sourceOf(location),
    });
    this.counters.deadLettered += 1;
  }

  /** The point a write command targets: the attribute `target` of the command's asset. */
  protected pointFor(command: DeviceCommand): PointMapping | undefined {
    return this.spec.points.find(
      (p) =>
        p.attribute === command.target &&
        (p.asset ?? this.spec.id) === command.assetId &&
        !['command', 'command-result'].includes(p.kind),
    );
  }
}
