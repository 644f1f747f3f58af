import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTruth, type TruthEntry } from '../src/truth.ts';

export { freePort } from '@openfoundry/infra-local';

/** A tenant id no one else on this machine uses (topics and brokers are shared). */
export function uniqueTenant(label: string): string {
  return `fsim-${label}-${randomUUID().slice(0, 8)}`;
}

export function tempFile(name: string): string {
  return join(mkdtempSync(join(tmpdir(), 'factory-sim-')), name);
}

export async function truthEntries(file: string): Promise<TruthEntry[]> {
  const entries: TruthEntry[] = [];
  for await (const entry of readTruth(file)) entries.push(entry);
  return entries;
}

/** Every (asset, attribute) pair's sequences, in the order recorded. */
export function sequencesByPair(entries: TruthEntry[]): Map<string, number[]> {
  const pairs = new Map<string, number[]>();
  for (const e of entries) {
    const key = `${e.asset}/${e.attribute}`;
    pairs.set(key, [...(pairs.get(key) ?? []), e.seq]);
  }
  return pairs;
}

/** Polls `probe` every half second until it answers something other than undefined. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 90_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
