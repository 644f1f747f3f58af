import { hash, randomUUID } from 'node:crypto';

// Both build the text of the UUID directly: hex digests and random UUIDs come out of Node as text
// more cheaply than as buffers.

/** The variant digit (binary 10xx) for a hex digit of random bits. */
const VARIANT = '89ab89ab89ab89ab';

/** The last time formatted: readings of one batch often share their millisecond. */
let lastTime = { ms: Number.NaN, hex: '' };

/** 48 bits of Unix milliseconds as the first 12 hex digits: `xxxxxxxx-xxxx`. */
function timeHex(timeMs: number): string {
  if (lastTime.ms !== timeMs) {
    const hex = timeMs.toString(16).padStart(12, '0');
    lastTime = { ms: timeMs, hex: `${hex.slice(0, 8)}-${hex.slice(8, 12)}` };
  }
  return lastTime.hex;
}

/** A UUID version 7: 48 bits of Unix milliseconds, then random bits (RFC 9562), so ids sort by time. */
export function uuidv7(now = Date.now()): string {
  // A random (version 4) UUID has the layout we need after its time digits: replace those and the
  // version digit; the variant and the other 74 bits are random.
  return `${timeHex(now)}-7${randomUUID().slice(15)}`;
}

/**
 * A UUID version 7 whose time is `timeMs` and whose other bits come from SHA-256 of `name`: the same
 * name always gives the same id. Used for readings a device identifies itself (sequence and source
 * time), so a reading delivered twice (QoS 1 redelivery, a retried HTTP batch) keeps its event id.
 */
export function uuidv7From(timeMs: number, name: string): string {
  // The digest's first 16 bytes with the time, version and variant set over them.
  const digest = hash('sha256', name, 'hex');
  const variant = VARIANT[Number.parseInt(digest.charAt(16), 16)];
  return `${timeHex(timeMs)}-7${digest.slice(13, 16)}-${variant}${digest.slice(17, 20)}-${digest.slice(20, 32)}`;
}
