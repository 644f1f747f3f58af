import { httpDeviceId } from './devices.ts';
import { type FactoryLayout, factoryLayout, type Protocol } from './layout.ts';
import type { OutcomeListener, ProtocolDriver, ProtocolStats } from './protocols/driver.ts';
import { HttpDriver, type HttpOptions } from './protocols/http.ts';
import { MqttDriver, type MqttOptions } from './protocols/mqtt.ts';
import { OpcUaDriver } from './protocols/opcua.ts';
import { type Clock, pace, systemClock, TokenBucket } from './rate.ts';
import { type AssetTruth, type TruthEntry, TruthLog } from './truth.ts';
import { ValueGenerator } from './values.ts';

export interface SimulatorOptions {
  tenant: string;
  assets: number;
  attributes: number;
  assetPrefix?: string;
  /** Seeds every value; the same seed gives the same value for the same (asset, attribute, seq). */
  seed?: number;
  /** Events a second over all assets (default 100) … */
  rate?: number;
  /** … or per asset (wins when both are given). */
  ratePerAsset?: number;
  mqtt?: MqttOptions;
  http?: Omit<HttpOptions, 'device'> & { device?: string };
  opcua?: { port: number; host?: string; eventEvery?: number };
  /** NDJSON ground-truth log. */
  truthFile?: string;
  /** How long a stop waits for outstanding acks (default 10 s). */
  drainTimeoutMs?: number;
  log?: (message: string) => void;
  /** Called with every truth entry as it is recorded. */
  onTruth?: (entry: TruthEntry) => void;
  clock?: Clock;
}

export interface ProtocolSummary extends ProtocolStats {
  assets: number;
  /** Events a second this protocol was given. */
  rate: number;
}

export interface SimSummary {
  tenant: string;
  seed: number;
  startedAt: string;
  elapsedMs: number;
  rate: number;
  /** Generated events a second over the run. */
  achievedRate: number;
  protocols: Partial<Record<Protocol, ProtocolSummary>>;
  /** Per asset: acked events and their checksum (see README). */
  assets: (AssetTruth & { protocol: Protocol })[];
  truthFile?: string;
  opcuaEvents?: number;
}

export type Progress = Pick<SimSummary, 'elapsedMs' | 'protocols'>;

/** Runs the factory: one paced loop per protocol feeding its driver, every outcome into the truth log. */
export class Simulator {
  readonly layout: FactoryLayout;
  readonly #options: SimulatorOptions;
  readonly #clock: Clock;
  readonly #values: ValueGenerator;
  readonly #truth: TruthLog;
  readonly #drivers = new Map<Protocol, ProtocolDriver>();
  readonly #rates = new Map<Protocol, number>();
  readonly #stop = new AbortController();
  #loops: Promise<void>[] = [];
  #startedAt = 0;
  #startedIso = '';
  #stopped: Promise<SimSummary> | undefined;
  #drained: Promise<{ elapsedMs: number; protocols: SimSummary['protocols'] }> | undefined;

  constructor(options: SimulatorOptions) {
    const protocols: Protocol[] = [];
    if (options.mqtt) protocols.push('mqtt');
    if (options.opcua) protocols.push('opcua');
    if (options.http) protocols.push('http');
    this.layout = factoryLayout({ ...options, protocols });
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#values = new ValueGenerator(options.seed ?? 1);
    const total =
      options.ratePerAsset !== undefined ? options.ratePerAsset * options.assets : (options.rate ?? 100);
    if (!(total > 0) || !Number.isFinite(total)) throw new RangeError('the rate must be a positive number');
    this.#truth = new TruthLog(options.truthFile, options.onTruth);
    for (const protocol of protocols) {
      const share = this.layout.assets.filter((a) => a.protocol === protocol).length;
      if (share === 0) continue;
      this.#rates.set(protocol, (total * share) / options.assets);
      const outcome: OutcomeListener = (event, status) => this.#truth.record(event, protocol, status);
      this.#drivers.set(protocol, this.#driver(protocol, outcome));
    }
  }

  #driver(protocol: Protocol, outcome: OutcomeListener): ProtocolDriver {
    const { mqtt, http, opcua, log } = this.#options;
    switch (protocol) {
      case 'mqtt':
        return new MqttDriver({ log, ...(mqtt as MqttOptions) }, outcome);
      case 'http':
        return new HttpDriver(
          { log, ...(http as HttpOptions), device: http?.device ?? httpDeviceId() },
          outcome,
        );
      case 'opcua':
        return new OpcUaDriver(
          {
            ...(opcua as { port: number }),
            tenant: this.layout.tenant,
            assets: this.layout.assets.filter((a) => a.protocol === 'opcua'),
            attributes: this.layout.attributes,
          },
          outcome,
        );
    }
  }

  get rate(): number {
    return [...this.#rates.values()].reduce((a, b) => a + b, 0);
  }

  driver(protocol: Protocol): ProtocolDriver | undefined {
    return this.#drivers.get(protocol);
  }

  /** Connects every protocol and starts producing. */
  async start(): Promise<void> {
    await this.#truth.open();
    try {
      for (const driver of this.#drivers.values()) await driver.start();
    } catch (error) {
      await Promise.allSettled([...this.#drivers.values()].map((d) => d.close()));
      await this.#truth.close();
      throw error;
    }
    this.#startedAt = this.#clock.now();
    this.#startedIso = new Date().toISOString();
    for (const [protocol, driver] of this.#drivers) {
      this.#loops.push(
        this.#produce(protocol, driver).catch((error: Error) => {
          // A bug, not a delivery problem (those end as truth statuses): that protocol stops producing.
          this.#options.log?.(`${protocol} producer failed: ${error.stack ?? error.message}`);
        }),
      );
    }
  }

  async #produce(protocol: Protocol, driver: ProtocolDriver): Promise<void> {
    const rate = this.#rates.get(protocol) as number;
    const assets = this.layout.assets.filter((a) => a.protocol === protocol);
    const attributes = this.layout.attributes;
    const pairs = assets.length * attributes.length;
    const seqs = new Array<number>(pairs).fill(0);
    let next = 0;
    // A tenth of a second of catch-up at most after a stall.
    const bucket = new TokenBucket(rate, Math.max(1, rate / 10), this.#clock);
    const signal = this.#stop.signal;
    await pace(
      bucket,
      async () => {
        if (!(await driver.ready()) || signal.aborted) return;
        const pair = next;
        next = (next + 1) % pairs;
        const asset = assets[Math.floor(pair / attributes.length)] as (typeof assets)[number];
        const attributeIndex = pair % attributes.length;
        const attribute = attributes[attributeIndex] as (typeof attributes)[number];
        const seq = seqs[pair] as number;
        seqs[pair] = seq + 1;
        driver.send({
          tenant: this.layout.tenant,
          asset: asset.id,
          attribute: attribute.name,
          seq,
          value: this.#values.value(asset.index, attributeIndex, attribute, seq),
          ts: new Date().toISOString(),
        });
      },
      signal,
      this.#clock,
    );
  }

  progress(): Progress {
    return { elapsedMs: this.#elapsed(), protocols: this.#protocolSummaries() };
  }

  #elapsed(): number {
    return this.#startedAt === 0 ? 0 : Math.round(this.#clock.now() - this.#startedAt);
  }

  #protocolSummaries(): Partial<Record<Protocol, ProtocolSummary>> {
    const out: Partial<Record<Protocol, ProtocolSummary>> = {};
    for (const [protocol, driver] of this.#drivers) {
      out[protocol] = {
        assets: this.layout.assets.filter((a) => a.protocol === protocol).length,
        rate: this.#rates.get(protocol) as number,
        ...driver.stats(),
      };
    }
    return out;
  }

  /**
   * Stops producing, waits for outstanding acks (up to the drain timeout), flushes the truth log
   * and closes every connection. Idempotent.
   */
  stop(): Promise<SimSummary> {
    this.#stopped ??= this.#shutdown();
    return this.#stopped;
  }

  /**
   * Stops producing and waits for outstanding acks (up to the drain timeout) but keeps the OPC UA
   * server serving the last values, so a test can compare them. Idempotent.
   */
  async stopProducing(): Promise<void> {
    await this.#drain();
  }

  #drain(): Promise<{ elapsedMs: number; protocols: SimSummary['protocols'] }> {
    this.#drained ??= (async () => {
      this.#stop.abort();
      const drainMs = this.#options.drainTimeoutMs ?? 10_000;
      // Drain first: a producer waiting for capacity is released by it.
      await Promise.all([...this.#drivers.values()].map((d) => d.drain(drainMs)));
      await Promise.all(this.#loops);
      return { elapsedMs: this.#elapsed(), protocols: this.#protocolSummaries() };
    })();
    return this.#drained;
  }

  async #shutdown(): Promise<SimSummary> {
    const { elapsedMs, protocols } = await this.#drain();
    await Promise.allSettled([...this.#drivers.values()].map((d) => d.close()));
    await this.#truth.close();
    const sent = Object.values(protocols).reduce((n, p) => n + p.sent, 0);
    const tally = new Map(this.#truth.tally.summary().map((a) => [a.asset, a]));
    const opcua = this.#drivers.get('opcua');
    return {
      tenant: this.layout.tenant,
      seed: this.#options.seed ?? 1,
      startedAt: this.#startedIso,
      elapsedMs,
      rate: this.rate,
      achievedRate: elapsedMs > 0 ? Math.round((sent * 1000 * 10) / elapsedMs) / 10 : 0,
      protocols,
      // Every simulated asset, also those nothing was acked for.
      assets: this.layout.assets
        .filter((a) => this.#drivers.has(a.protocol))
        .map((a) => ({
          tenant: this.layout.tenant,
          asset: a.id,
          count: tally.get(a.id)?.count ?? 0,
          checksum: tally.get(a.id)?.checksum ?? '0',
          protocol: a.protocol,
        })),
      ...(this.#options.truthFile === undefined ? {} : { truthFile: this.#options.truthFile }),
      ...(opcua instanceof OpcUaDriver ? { opcuaEvents: opcua.eventsRaised } : {}),
    };
  }

  /** Runs until `durationMs` has passed (when given) or the signal aborts, then stops. */
  async run(options: { durationMs?: number; signal?: AbortSignal } = {}): Promise<SimSummary> {
    await this.start();
    const done = new AbortController();
    const abort = () => done.abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    if (options.signal?.aborted) done.abort();
    if (options.durationMs !== undefined) await this.#clock.sleep(options.durationMs, done.signal);
    else if (!done.signal.aborted)
      await new Promise((resolve) => done.signal.addEventListener('abort', resolve));
    options.signal?.removeEventListener('abort', abort);
    return this.stop();
  }
}
