import type { SimEvent } from '../truth.ts';
import {
  emptyStats,
  type OutcomeListener,
  type ProtocolDriver,
  type ProtocolStats,
  Signal,
  waitUntil,
} from './driver.ts';

export interface HttpOptions {
  /** The connector's base URL, e.g. `http://127.0.0.1:4022`. */
  url: string;
  /** The declared HTTP push device the batches are posted as. */
  device: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Items per request at most. */
  batchSize?: number;
  /** How long a partial batch waits for more items. */
  lingerMs?: number;
  /** Requests outstanding at most; with the batch size, this bounds the events in flight. */
  maxInFlightBatches?: number;
  /** Longest wait honoured from a Retry-After header. */
  maxRetryAfterMs?: number;
  /** Where refusals are reported. */
  log?: (message: string) => void;
}

/** One item of an ingest request body. */
export interface IngestItem {
  asset: string;
  attribute: string;
  value: SimEvent['value'];
  ts: string;
  seq: number;
}

export function ingestUrl(base: string, tenant: string, device: string): string {
  return `${base.replace(/\/+$/, '')}/v1/ingest/${encodeURIComponent(tenant)}/${encodeURIComponent(device)}`;
}

/** Seconds (`120`) or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  // An HTTP date names its weekday and month; Date.parse alone would take "-1" as a year.
  if (!/[A-Za-z]/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Index → reason of the items a 207 body lists as rejected; undefined when the body is not such a list. */
export function partialRejections(text: string, size: number): Map<number, string> | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const list = (body as { rejected?: unknown } | null)?.rejected;
  if (!Array.isArray(list)) return undefined;
  const refused = new Map<number, string>();
  for (const item of list) {
    const index = (item as { index?: unknown } | null)?.index;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= size) return undefined;
    refused.set(index, String((item as { reason?: unknown }).reason ?? 'unknown'));
  }
  return refused;
}

const NETWORK_RETRY_MS = 500;
const DEFAULT_RETRY_AFTER_MS = 1000;

/**
 * Posts events in batches as JSON arrays to `<url>/v1/ingest/<tenant>/<device>`. 202 acks the
 * batch; 207 acks all but the items its body lists as rejected; 503 and 429 are retried after
 * Retry-After (1 s without one), network errors after 500 ms; any other status rejects the batch
 * for good.
 */
export class HttpDriver implements ProtocolDriver {
  readonly protocol = 'http' as const;
  readonly #url: string;
  readonly #options: HttpOptions;
  readonly #batchSize: number;
  readonly #maxBatches: number;
  readonly #outcome: OutcomeListener;
  readonly #changed = new Signal();
  readonly #stats = emptyStats();
  readonly #abort = new AbortController();
  #queue: SimEvent[] = [];
  #tenant: string | undefined;
  #batchesInFlight = 0;
  #itemsInFlight = 0;
  #linger: NodeJS.Timeout | undefined;
  #stopping = false;
  readonly #requests = new Set<Promise<void>>();

  constructor(options: HttpOptions, outcome: OutcomeListener) {
    this.#options = options;
    this.#url = options.url;
    this.#batchSize = options.batchSize ?? 100;
    this.#maxBatches = options.maxInFlightBatches ?? 2;
    if (!(this.#batchSize >= 1) || !(this.#maxBatches >= 1))
      throw new RangeError('batchSize and maxInFlightBatches must be at least 1');
    this.#outcome = outcome;
  }

  async start(): Promise<void> {}

  async ready(): Promise<boolean> {
    // One batch may fill while the others are in flight.
    const limit = this.#batchSize * (this.#maxBatches + 1);
    while (!this.#stopping && this.#queue.length + this.#itemsInFlight >= limit) await this.#changed.wait();
    return !this.#stopping;
  }

  send(event: SimEvent): void {
    if (this.#tenant !== undefined && this.#tenant !== event.tenant)
      throw new Error('one HTTP driver posts for one tenant');
    this.#tenant = event.tenant;
    this.#queue.push(event);
    this.#stats.sent++;
    if (this.#queue.length >= this.#batchSize) this.#pump();
    else this.#linger ??= setTimeout(() => this.#pump(), this.#options.lingerMs ?? 50);
  }

  #pump(): void {
    clearTimeout(this.#linger);
    this.#linger = undefined;
    if (this.#abort.signal.aborted) return;
    while (this.#queue.length > 0 && this.#batchesInFlight < this.#maxBatches) {
      const batch = this.#queue.splice(0, this.#batchSize);
      this.#batchesInFlight++;
      this.#itemsInFlight += batch.length;
      const request = this.#post(batch).finally(() => {
        this.#requests.delete(request);
        this.#batchesInFlight--;
        this.#itemsInFlight -= batch.length;
        this.#changed.notify();
        this.#pump();
      });
      this.#requests.add(request);
    }
  }

  async #post(batch: SimEvent[]): Promise<void> {
    const tenant = (batch[0] as SimEvent).tenant;
    const body = JSON.stringify(
      batch.map(({ asset, attribute, value, ts, seq }): IngestItem => ({ asset, attribute, value, ts, seq })),
    );
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.#options.token) headers.authorization = `Bearer ${this.#options.token}`;
    const url = ingestUrl(this.#url, tenant, this.#options.device);
    const signal = this.#abort.signal;
    for (let attempt = 0; !signal.aborted; attempt++) {
      if (attempt > 0) this.#stats.retries++;
      let waitMs: number;
      try {
        const response = await fetch(url, { method: 'POST', headers, body, signal });
        const text = await response.text();
        if (response.status === 202) return this.#settle(batch, 'acked');
        if (response.status === 207) return this.#settlePartly(batch, text, url);
        if (response.status !== 503 && response.status !== 429) {
          this.#options.log?.(
            `HTTP ${response.status} from ${url}, ${batch.length} events rejected: ${text.slice(0, 500)}`,
          );
          return this.#settle(batch, 'rejected');
        }
        waitMs = Math.min(
          retryAfterMs(response.headers.get('retry-after')) ?? DEFAULT_RETRY_AFTER_MS,
          this.#options.maxRetryAfterMs ?? 30_000,
        );
      } catch (error) {
        if (signal.aborted) break;
        this.#options.log?.(`POST ${url} failed: ${(error as Error).message}; retrying`);
        waitMs = NETWORK_RETRY_MS;
      }
      await sleep(waitMs, signal);
    }
    this.#settle(batch, 'unacked');
  }

  /**
   * 207: the connector published some items and dead-lettered the others, listed by index in
   * `{ accepted, rejected: [{ index, reason, detail }] }`.
   */
  #settlePartly(batch: SimEvent[], text: string, url: string): void {
    const refused = partialRejections(text, batch.length);
    if (!refused) {
      this.#options.log?.(
        `HTTP 207 from ${url} without a readable list of rejections: ${text.slice(0, 500)}`,
      );
      this.#settle(batch, 'unacked');
      return;
    }
    const reasons = [...new Set([...refused.values()])].join(', ');
    this.#options.log?.(
      `HTTP 207 from ${url}: ${refused.size} of ${batch.length} events rejected (${reasons})`,
    );
    const rejected = batch.filter((_, i) => refused.has(i));
    const acked = batch.filter((_, i) => !refused.has(i));
    this.#settle(acked, 'acked');
    this.#settle(rejected, 'rejected');
  }

  #settle(batch: SimEvent[], status: 'acked' | 'rejected' | 'unacked'): void {
    this.#stats[status] += batch.length;
    for (const event of batch) this.#outcome(event, status);
  }

  async drain(timeoutMs: number): Promise<void> {
    this.#stopping = true;
    this.#changed.notify();
    this.#pump();
    const idle = () => this.#queue.length === 0 && this.#batchesInFlight === 0;
    // A batch finishing lets the next queued one go (#pump on completion), so wait for all.
    if (!(await waitUntil(idle, this.#changed, timeoutMs))) {
      this.#abort.abort();
      await Promise.allSettled([...this.#requests]);
    }
    const left = this.#queue.splice(0);
    if (left.length > 0) this.#settle(left, 'unacked');
  }

  async close(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#linger);
    this.#abort.abort();
    await Promise.allSettled([...this.#requests]);
    this.#changed.notify();
  }

  stats(): ProtocolStats {
    return { ...this.#stats, inFlight: this.#itemsInFlight + this.#queue.length };
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
