import type { AssetEvent } from '@openfoundry/bus-registry';
import { type LiveFilter, matches } from './filters.ts';

/** An event on its way to one client: the JSON is serialised once and shared by every connection. */
export interface OutgoingEvent {
  readonly event: AssetEvent;
  readonly json: string;
}

/** What a connection says to its client; each transport frames it its own way. */
export type LiveMessage =
  | { type: 'event'; event: OutgoingEvent }
  | { type: 'gap'; dropped: number }
  | { type: 'subscribed'; filters: readonly LiveFilter[] }
  | { type: 'unsubscribed'; filters: readonly LiveFilter[] }
  | { type: 'error'; code: string; message: string; details?: unknown }
  | { type: 'heartbeat' };

/**
 * The transport under a connection. `write` hands over one message and says whether the transport
 * takes more now (false: the client is not reading fast enough and the process buffers already
 * hold plenty); `onWritable` calls back once, when it does again.
 */
export interface LiveTransport {
  write(message: LiveMessage): boolean;
  onWritable(callback: () => void): void;
  /** Ends the connection with a reason the client can see. */
  close(reason: string): void;
}

export interface LiveConnectionOptions {
  id: string;
  tenant: string;
  kind: 'sse' | 'websocket';
  /** Events that may wait for a slow client; beyond it new events are dropped and counted. */
  queueLimit: number;
}

export interface ConnectionStats {
  delivered: number;
  dropped: number;
  queued: number;
}

type Queued = { type: 'event'; event: OutgoingEvent } | { type: 'gap'; dropped: number };

/**
 * One client's live connection. Events wait in a bounded queue while the client is slow; once it is
 * full, new events are dropped and replaced by one `gap` message carrying how many were lost, in the
 * position they would have had. Memory per connection is bounded by the queue limit plus the
 * transport's in-flight writes, whatever the client does.
 */
export class LiveConnection {
  readonly id: string;
  readonly tenant: string;
  readonly kind: 'sse' | 'websocket';
  #filters: LiveFilter[] = [];
  readonly #queue: Queued[] = [];
  #queuedEvents = 0;
  #blocked = false;
  #closed = false;
  #transport: LiveTransport | undefined;
  readonly #queueLimit: number;
  readonly #stats = { delivered: 0, dropped: 0 };

  constructor(options: LiveConnectionOptions) {
    this.id = options.id;
    this.tenant = options.tenant;
    this.kind = options.kind;
    this.#queueLimit = options.queueLimit;
  }

  /** Events are queued until the transport is attached; `greeting` goes out before any of them. */
  attach(transport: LiveTransport, greeting?: LiveMessage): void {
    this.#transport = transport;
    if (greeting) this.#blocked = !transport.write(greeting) || this.#blocked;
    if (this.#blocked) this.#waitWritable(transport);
    this.#pump();
  }

  get filters(): readonly LiveFilter[] {
    return this.#filters;
  }

  get closed(): boolean {
    return this.#closed;
  }

  setFilters(filters: readonly LiveFilter[]): void {
    this.#filters = [...filters];
  }

  /**
   * Whether `filterKey` is the first of this connection's filters that matches the event: a
   * connection with overlapping filters still gets each event once.
   */
  owns(filterKeyValue: string, asset: string, attribute: string): boolean {
    for (const filter of this.#filters)
      if (matches(filter, asset, attribute)) return `${filter.asset}.${filter.attribute}` === filterKeyValue;
    return false;
  }

  /** Queues an event; drops it (counting a gap) when the client is too far behind. */
  push(event: OutgoingEvent): void {
    if (this.#closed) return;
    if (this.#queuedEvents >= this.#queueLimit) {
      this.#stats.dropped++;
      const last = this.#queue.at(-1);
      if (last?.type === 'gap') last.dropped++;
      else this.#queue.push({ type: 'gap', dropped: 1 });
      return;
    }
    this.#queue.push({ type: 'event', event });
    this.#queuedEvents++;
    this.#pump();
  }

  /** Sends a control message (subscribed, error, heartbeat) right away, ahead of queued events. */
  send(message: Exclude<LiveMessage, { type: 'event' } | { type: 'gap' }>): void {
    if (this.#closed || !this.#transport) return;
    this.#transport.write(message);
  }

  stats(): ConnectionStats {
    return { ...this.#stats, queued: this.#queuedEvents };
  }

  /** Ends the connection; queued events are discarded. Idempotent. */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.length = 0;
    this.#queuedEvents = 0;
    this.#transport?.close(reason);
  }

  /** Marks the connection closed because the client went away. */
  gone(): void {
    this.#closed = true;
    this.#queue.length = 0;
    this.#queuedEvents = 0;
  }

  #pump(): void {
    const transport = this.#transport;
    if (!transport) return;
    while (!this.#closed && !this.#blocked && this.#queue.length > 0) {
      const next = this.#queue.shift() as Queued;
      if (next.type === 'event') {
        this.#queuedEvents--;
        this.#stats.delivered++;
      }
      if (!transport.write(next)) {
        this.#blocked = true;
        this.#waitWritable(transport);
      }
    }
  }

  #waitWritable(transport: LiveTransport): void {
    transport.onWritable(() => {
      this.#blocked = false;
      this.#pump();
    });
  }
}
