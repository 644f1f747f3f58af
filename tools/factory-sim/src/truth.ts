import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Checksum } from './checksum.ts';
import type { Protocol, Value } from './layout.ts';

/** One generated observation. */
export interface SimEvent {
  tenant: string;
  asset: string;
  attribute: string;
  seq: number;
  value: Value;
  /** Source time, ISO 8601 UTC. */
  ts: string;
}

/**
 * What became of an event: `acked` — the receiver confirmed it (MQTT PUBACK, HTTP 202 or not
 * listed in a 207, OPC UA variable set); `unacked` — sent but never confirmed before the run
 * ended; `rejected` — the receiver refused it for good (an HTTP status other than 202, 207, 429
 * and 503, or listed in a 207); `written` — an OPC UA client wrote a setpoint (not a generated event).
 */
export const TRUTH_STATUSES = ['acked', 'unacked', 'rejected', 'written'] as const;
export type TruthStatus = (typeof TRUTH_STATUSES)[number];

/** One line of the truth log (NDJSON). */
export interface TruthEntry extends SimEvent {
  protocol: Protocol;
  status: TruthStatus;
}

export interface AssetTruth {
  tenant: string;
  asset: string;
  /** Events with status `acked`. */
  count: number;
  /** {@link Checksum} of those events, decimal. */
  checksum: string;
}

/** Per (tenant, asset) count and checksum of acked events. */
export class TruthTally {
  readonly #assets = new Map<string, { tenant: string; asset: string; checksum: Checksum }>();

  add(entry: Pick<TruthEntry, 'tenant' | 'asset' | 'attribute' | 'seq' | 'value' | 'status'>): void {
    if (entry.status !== 'acked') return;
    const key = `${entry.tenant}/${entry.asset}`;
    let slot = this.#assets.get(key);
    if (!slot) {
      slot = { tenant: entry.tenant, asset: entry.asset, checksum: new Checksum() };
      this.#assets.set(key, slot);
    }
    slot.checksum.add(entry);
  }

  /** Sorted by tenant, then asset. */
  summary(): AssetTruth[] {
    return [...this.#assets.values()]
      .map(({ tenant, asset, checksum }) => ({
        tenant,
        asset,
        count: checksum.count,
        checksum: checksum.value,
      }))
      .sort((a, b) => (a.tenant === b.tenant ? cmp(a.asset, b.asset) : cmp(a.tenant, b.tenant)));
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Appends truth entries to an NDJSON file (when given) and tallies the acked ones. */
export class TruthLog {
  readonly tally = new TruthTally();
  readonly #file: string | undefined;
  readonly #listener: ((entry: TruthEntry) => void) | undefined;
  #out: WriteStream | undefined;

  constructor(file?: string, listener?: (entry: TruthEntry) => void) {
    this.#file = file;
    this.#listener = listener;
  }

  /** Creates (or truncates) the file; fails when it cannot be written. */
  async open(): Promise<void> {
    if (!this.#file || this.#out) return;
    const out = createWriteStream(this.#file, { flags: 'w' });
    await Promise.race([once(out, 'open'), once(out, 'error').then(([error]) => Promise.reject(error))]);
    this.#out = out;
  }

  record(event: SimEvent, protocol: Protocol, status: TruthStatus): void {
    if (this.#file && !this.#out) throw new Error('the truth log is not open');
    const entry: TruthEntry = { ...event, protocol, status };
    this.tally.add(entry);
    this.#listener?.(entry);
    this.#out?.write(`${JSON.stringify(entry)}\n`);
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    if (!this.#out || this.#out.closed) return;
    this.#out.end();
    await once(this.#out, 'close');
  }
}

/** Reads a truth log line by line. */
export async function* readTruth(file: string): AsyncGenerator<TruthEntry> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    try {
      yield JSON.parse(text) as TruthEntry;
    } catch {
      throw new Error(`${file}:${line}: not a JSON truth entry`);
    }
  }
}

/**
 * Per (tenant, asset): how many events the receivers acknowledged and their checksum, from a
 * truth log. `protocol` restricts it to the events sent over one protocol.
 */
export async function truthSummary(
  file: string,
  options: { protocol?: Protocol } = {},
): Promise<AssetTruth[]> {
  const tally = new TruthTally();
  for await (const entry of readTruth(file)) {
    if (options.protocol === undefined || entry.protocol === options.protocol) tally.add(entry);
  }
  return tally.summary();
}

/**
 * Per (tenant, asset, attribute) the acked entry with the highest sequence: what an OPC UA
 * client that samples should finally see. Keyed `<tenant>/<asset>/<attribute>`.
 */
export async function truthLastValues(
  file: string,
  options: { protocol?: Protocol } = {},
): Promise<Map<string, TruthEntry>> {
  const last = new Map<string, TruthEntry>();
  for await (const entry of readTruth(file)) {
    if (entry.status !== 'acked') continue;
    if (options.protocol !== undefined && entry.protocol !== options.protocol) continue;
    const key = `${entry.tenant}/${entry.asset}/${entry.attribute}`;
    const seen = last.get(key);
    if (!seen || entry.seq > seen.seq) last.set(key, entry);
  }
  return last;
}
