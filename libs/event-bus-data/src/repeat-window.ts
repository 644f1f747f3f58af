import type { RepeatRule } from '@openfoundry/bus-registry';

const EMPTY = -1;
const HAS_ID = 1;
const REPEAT = 2;

/** The four 32-bit words of the last UUID read (one per process: reading never allocates). */
const WORDS = new Uint32Array(4);

/** A hex digit's value, or -1. */
function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87; // a-f, A-F
  return -1;
}

/**
 * Reads a UUID's 128 bits (`8-4-4-4-12` hex digits, any case) into WORDS; false when `id` is not
 * one. Char codes, not slices and parseInt: this runs for every record of every consumer that
 * skips repeats.
 */
function readUuid(id: string): boolean {
  if (id.length !== 36) return false;
  let word = 0;
  let digits = 0;
  for (let i = 0; i < 36; i++) {
    const code = id.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (code !== 45) return false; // '-'
      continue;
    }
    const v = hexValue(code);
    if (v < 0) return false;
    word = word * 16 + v;
    digits++;
    if ((digits & 7) === 0) {
      WORDS[(digits >>> 3) - 1] = word;
      word = 0;
    }
  }
  return true;
}

/** The id a payload carries under the rule's field, when it is a UUID. */
export function repeatIdOf(rule: RepeatRule, value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const id = (value as Record<string, unknown>)[rule.idField];
  return typeof id === 'string' && readUuid(id) ? id : undefined;
}

/**
 * What one partition's last `size` offsets carried, for the repeat rule of ADR 0016: a record is a
 * repeat when its id equals that of a record among the `size` offsets before it. Offsets are held
 * contiguously from `start` to `next` (an offset without an id — a record that failed decoding, or
 * none in the log — takes its place too), with the verdict each got, so a record delivered again
 * gets the same answer. Ids are kept as 128-bit numbers in a ring with an open-addressing index:
 * about 30 bytes per offset.
 */
export class RepeatWindow {
  readonly size: number;
  readonly #words: Uint32Array;
  readonly #hashes: Int32Array;
  readonly #flags: Uint8Array;
  readonly #table: Int32Array;
  readonly #mask: number;
  /** Ring slot of the oldest offset held. */
  #head = 0;
  #count = 0;
  /** The oldest offset held, as a number: exact up to 2^53, a partition's lifetime many times over. */
  #start = 0;

  constructor(size: number, start: bigint) {
    if (!Number.isInteger(size) || size < 1)
      throw new Error(`a repeat window needs a positive size, got ${size}`);
    this.size = size;
    this.#words = new Uint32Array(size * 4);
    this.#hashes = new Int32Array(size);
    this.#flags = new Uint8Array(size);
    let capacity = 2;
    while (capacity < size * 2) capacity *= 2;
    this.#table = new Int32Array(capacity).fill(EMPTY);
    this.#mask = capacity - 1;
    this.#start = Number(start);
  }

  /** The offset the window continues at: every offset before it, back to `size` of them, is known. */
  get next(): bigint {
    return BigInt(this.#start + this.#count);
  }

  /** The oldest offset held. */
  get start(): bigint {
    return BigInt(this.#start);
  }

  /**
   * Whether the record at `offset` is a repeat, or undefined when the window cannot tell (the
   * offset is past `next`, or older than what it holds): the caller reads the partition before it
   * and builds a new window. The record at `next` is taken in; an older one gets its first verdict.
   */
  check(offset: bigint, id: string | undefined): boolean | undefined {
    const at = Number(offset);
    const next = this.#start + this.#count;
    if (at === next) return this.append(id);
    if (at < next && at >= this.#start) {
      return ((this.#flags[(this.#head + (at - this.#start)) % this.size] as number) & REPEAT) !== 0;
    }
    return undefined;
  }

  /** Takes in the record at `next`; returns whether it repeats one of the `size` offsets before it. */
  append(id: string | undefined): boolean {
    if (id === undefined || !readUuid(id)) {
      this.#place(0);
      return false;
    }
    const a = WORDS[0] as number;
    const b = WORDS[1] as number;
    const c = WORDS[2] as number;
    const d = WORDS[3] as number;
    const hash = mix(a, b, c, d);
    // Compared with all `size` offsets held, before the oldest makes room.
    const repeat = this.#find(hash, a, b, c, d);
    const slot = this.#place(HAS_ID | (repeat ? REPEAT : 0));
    const w = slot * 4;
    this.#words[w] = a;
    this.#words[w + 1] = b;
    this.#words[w + 2] = c;
    this.#words[w + 3] = d;
    this.#hashes[slot] = hash;
    let i = hash & this.#mask;
    while (this.#table[i] !== EMPTY) i = (i + 1) & this.#mask;
    this.#table[i] = slot;
    return repeat;
  }

  /** Makes room if full and takes the next slot with its flags. */
  #place(flags: number): number {
    if (this.#count === this.size) this.#evictOldest();
    const slot = (this.#head + this.#count) % this.size;
    this.#count += 1;
    this.#flags[slot] = flags;
    return slot;
  }

  /** Whether an offset held carries the id (a, b, c, d). */
  #find(hash: number, a: number, b: number, c: number, d: number): boolean {
    const words = this.#words;
    for (let i = hash & this.#mask; ; i = (i + 1) & this.#mask) {
      const other = this.#table[i] as number;
      if (other === EMPTY) return false;
      if (this.#hashes[other] !== hash) continue;
      const o = other * 4;
      if (words[o] === a && words[o + 1] === b && words[o + 2] === c && words[o + 3] === d) return true;
    }
  }

  #evictOldest(): void {
    const slot = this.#head;
    this.#head = (this.#head + 1) % this.size;
    this.#count -= 1;
    this.#start += 1;
    if (((this.#flags[slot] as number) & HAS_ID) === 0) return;
    let i = (this.#hashes[slot] as number) & this.#mask;
    while (this.#table[i] !== slot) i = (i + 1) & this.#mask;
    // Backward-shift deletion keeps every remaining entry reachable from its home index.
    for (let j = (i + 1) & this.#mask; ; j = (j + 1) & this.#mask) {
      const moving = this.#table[j] as number;
      if (moving === EMPTY) break;
      const home = (this.#hashes[moving] as number) & this.#mask;
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      this.#table[i] = moving;
      i = j;
    }
    this.#table[i] = EMPTY;
  }
}

function mix(a: number, b: number, c: number, d: number): number {
  // Version-7 ids share their leading time bits; the random tail carries most of the entropy.
  let h = Math.imul(d ^ (c >>> 7), 0x9e3779b1);
  h ^= Math.imul(c ^ (b >>> 3), 0x85ebca77);
  h ^= Math.imul(a ^ (h >>> 15), 0xc2b2ae3d);
  return (h ^ (h >>> 13)) | 0;
}
