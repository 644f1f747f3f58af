import { createHash } from 'node:crypto';
import type { Value } from './layout.ts';

/** The identity of one simulated observation, as it lands anywhere downstream. */
export interface HashableEvent {
  asset: string;
  attribute: string;
  seq: number;
  value: Value;
}

const MOD = 2n ** 64n;

/**
 * The exact text an event is hashed over: `asset|attribute|seq|value`, where seq is the decimal
 * sequence and value is `JSON.stringify(value)` (a number in its shortest round-trip form, so
 * 20.0 is `20`; `true`/`false`; a string in double quotes with JSON escapes).
 */
export function eventHashInput(event: HashableEvent): string {
  return `${event.asset}|${event.attribute}|${event.seq}|${JSON.stringify(event.value)}`;
}

/** The first 8 bytes of SHA-256 over the UTF-8 of {@link eventHashInput}, as an unsigned big-endian integer. */
export function eventHash(event: HashableEvent): bigint {
  return createHash('sha256').update(eventHashInput(event), 'utf8').digest().readBigUInt64BE(0);
}

/**
 * An order-independent checksum of a set of events: the sum of their {@link eventHash}es modulo
 * 2^64. Duplicates change it (they are added twice), so equal count and checksum mean the same
 * multiset of events with overwhelming probability.
 */
export class Checksum {
  #sum = 0n;
  #count = 0;

  add(event: HashableEvent): void {
    this.#sum = (this.#sum + eventHash(event)) % MOD;
    this.#count++;
  }

  get count(): number {
    return this.#count;
  }

  /** The checksum as a decimal string (it does not fit a JSON number). */
  get value(): string {
    return this.#sum.toString();
  }
}
