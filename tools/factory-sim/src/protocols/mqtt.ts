import mqtt, { type MqttClient } from 'mqtt';
import type { SimEvent } from '../truth.ts';
import {
  emptyStats,
  type OutcomeListener,
  type ProtocolDriver,
  type ProtocolStats,
  Signal,
  waitUntil,
} from './driver.ts';

export interface MqttOptions {
  /** `mqtt://host:port`. */
  url: string;
  username?: string;
  password?: string;
  clientId?: string;
  /** Publishes awaiting PUBACK at most; when the receiver stops acking, the simulator stops. */
  maxInFlight?: number;
  log?: (message: string) => void;
}

/** `factory/<tenant>/<asset>/<attribute>`. */
export function mqttTopic(event: Pick<SimEvent, 'tenant' | 'asset' | 'attribute'>): string {
  return `factory/${event.tenant}/${event.asset}/${event.attribute}`;
}

/** `{ "value": v, "ts": "<ISO>", "seq": n }`. */
export function mqttPayload(event: SimEvent): string {
  return JSON.stringify({ value: event.value, ts: event.ts, seq: event.seq });
}

/** Publishes each event with QoS 1 and counts it acked when its PUBACK arrives. */
export class MqttDriver implements ProtocolDriver {
  readonly protocol = 'mqtt' as const;
  readonly #options: MqttOptions;
  readonly #maxInFlight: number;
  readonly #outcome: OutcomeListener;
  readonly #pending = new Set<SimEvent>();
  readonly #changed = new Signal();
  readonly #stats = emptyStats();
  #client: MqttClient | undefined;
  #stopping = false;

  constructor(options: MqttOptions, outcome: OutcomeListener) {
    this.#options = options;
    this.#maxInFlight = options.maxInFlight ?? 100;
    if (!(this.#maxInFlight >= 1)) throw new RangeError('maxInFlight must be at least 1');
    this.#outcome = outcome;
  }

  async start(): Promise<void> {
    const { url, username, password, clientId } = this.#options;
    this.#client = await mqtt.connectAsync(url, {
      clientId: clientId ?? `factory-sim-${process.pid}-${Math.random().toString(16).slice(2, 10)}`,
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      ...(username === undefined ? {} : { username, password }),
    });
    // mqtt.js reconnects by itself and resends unacknowledged QoS 1 publishes; an 'error' without
    // a listener would end the process instead.
    this.#client.on('error', (error) => this.#options.log?.(`MQTT: ${error.message}`));
    this.#client.on('offline', () => this.#options.log?.(`MQTT: lost ${url}, reconnecting`));
  }

  async ready(): Promise<boolean> {
    while (!this.#stopping && this.#pending.size >= this.#maxInFlight) await this.#changed.wait();
    return !this.#stopping;
  }

  send(event: SimEvent): void {
    const client = this.#client;
    if (!client) throw new Error('the MQTT driver is not started');
    this.#pending.add(event);
    this.#stats.sent++;
    client.publish(mqttTopic(event), mqttPayload(event), { qos: 1 }, (error) => {
      // Already counted unacked when the drain gave up on it.
      if (!this.#pending.delete(event)) return;
      if (error) {
        this.#stats.unacked++;
        this.#outcome(event, 'unacked');
      } else {
        this.#stats.acked++;
        this.#outcome(event, 'acked');
      }
      this.#changed.notify();
    });
  }

  async drain(timeoutMs: number): Promise<void> {
    this.#stopping = true;
    this.#changed.notify();
    await waitUntil(() => this.#pending.size === 0, this.#changed, timeoutMs);
    for (const event of this.#pending) {
      this.#stats.unacked++;
      this.#outcome(event, 'unacked');
    }
    this.#pending.clear();
  }

  async close(): Promise<void> {
    this.#stopping = true;
    this.#changed.notify();
    // Forced: publishes still waiting for a PUBACK were already given up by drain().
    await this.#client?.endAsync(true);
  }

  stats(): ProtocolStats {
    return { ...this.#stats, inFlight: this.#pending.size };
  }
}
