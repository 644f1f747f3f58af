import type { AttributeSpec, Value } from './layout.ts';

// Every value is a pure function of (seed, asset index, attribute index, sequence), so a rerun
// with the same seed produces the same values whatever the timing, and a test can recompute any
// single value without replaying the run.

const CONDITIONS = ['ok', 'warning', 'alarm', 'maintenance'] as const;
const CONDITION_WEIGHTS = [0.7, 0.2, 0.07, 0.03] as const;

/** A 32-bit mix of small integers (FNV-1a step plus a murmur3-style finaliser per part). */
function mix(parts: readonly number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const lo = part >>> 0;
    const hi = Math.floor(part / 2 ** 32) >>> 0;
    for (const word of [lo, hi]) {
      h = Math.imul(h ^ word, 0x01000193);
      h ^= h >>> 16;
      h = Math.imul(h, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
    }
  }
  return h >>> 0;
}

/** Uniform in [0, 1). */
function unit(...parts: number[]): number {
  return mix(parts) / 2 ** 32;
}

// Salts keep the per-pair parameters independent of one another.
const BASE = 1;
const AMPLITUDE = 2;
const PERIOD = 3;
const PHASE = 4;
const NOISE = 5;
const STEP = 6;
const RUN = 7;
const STATE = 8;

export class ValueGenerator {
  readonly #seed: number;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError('seed must be a non-negative integer');
    this.#seed = seed;
  }

  value(assetIndex: number, attributeIndex: number, attribute: AttributeSpec, seq: number): Value {
    const p = (salt: number, ...more: number[]) =>
      unit(this.#seed, assetIndex, attributeIndex, salt, ...more);
    switch (attribute.kind) {
      case 'double': {
        const base = 20 + 60 * p(BASE);
        const amplitude = 2 + 10 * p(AMPLITUDE);
        const period = 40 + Math.floor(200 * p(PERIOD));
        const phase = 2 * Math.PI * p(PHASE);
        const noise = p(NOISE, seq) - 0.5;
        const raw = base + amplitude * Math.sin((2 * Math.PI * seq) / period + phase) + noise;
        return Math.round(raw * 1000) / 1000;
      }
      case 'long': {
        const start = Math.floor(10_000 * p(BASE));
        const step = 1 + Math.floor(5 * p(STEP));
        return start + seq * step;
      }
      case 'boolean': {
        const run = 20 + Math.floor(80 * p(RUN));
        return p(STATE, Math.floor(seq / run)) < 0.8;
      }
      case 'string': {
        const run = 10 + Math.floor(40 * p(RUN));
        let u = p(STATE, Math.floor(seq / run));
        for (let i = 0; i < CONDITIONS.length; i++) {
          u -= CONDITION_WEIGHTS[i] as number;
          if (u < 0) return CONDITIONS[i] as string;
        }
        return CONDITIONS[0];
      }
    }
  }
}
