import { setTimeout as delay } from 'node:timers/promises';

export interface Clock {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** Resolves after ms, or early (without throwing) when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) => delay(ms, undefined, { signal }).catch(() => undefined),
};

/**
 * A token bucket: `rate` tokens a second, at most `capacity` saved up. Tokens accrue from the
 * elapsed time, not from timer ticks, so the count over a run stays at rate × time however late
 * the timers fire; the capacity bounds the catch-up burst after a stall (backpressure).
 */
export class TokenBucket {
  readonly rate: number;
  readonly capacity: number;
  readonly #clock: Clock;
  #tokens = 0;
  #last: number;

  constructor(rate: number, capacity: number, clock: Clock = systemClock) {
    if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError('rate must be a positive number');
    if (!(capacity >= 1)) throw new RangeError('capacity must be at least 1');
    this.rate = rate;
    this.capacity = capacity;
    this.#clock = clock;
    this.#last = clock.now();
  }

  #refill(): void {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.capacity, this.#tokens + ((now - this.#last) * this.rate) / 1000);
    this.#last = now;
  }

  /** Takes as many whole tokens as are available, at most `max`, and returns how many. */
  take(max: number): number {
    this.#refill();
    const granted = Math.min(max, Math.floor(this.#tokens));
    this.#tokens -= granted;
    return granted;
  }

  /** Milliseconds until one whole token is available (0 when one is). */
  msUntilNext(): number {
    this.#refill();
    return this.#tokens >= 1 ? 0 : ((1 - this.#tokens) * 1000) / this.rate;
  }
}

/**
 * Calls `emit` `rate` times a second until the signal aborts. `emit` may wait (backpressure):
 * the pacer waits with it, and afterwards catches up at most the bucket's capacity.
 */
export async function pace(
  bucket: TokenBucket,
  emit: () => Promise<void> | void,
  signal: AbortSignal,
  clock: Clock = systemClock,
): Promise<void> {
  while (!signal.aborted) {
    const granted = bucket.take(Math.max(1, Math.ceil(bucket.capacity)));
    if (granted === 0) {
      // Timers are ~1 ms coarse: sleeping at least 1 ms keeps a high rate from spinning.
      await clock.sleep(Math.max(1, bucket.msUntilNext()), signal);
      continue;
    }
    for (let i = 0; i < granted && !signal.aborted; i++) await emit();
  }
}

/** `500ms`, `30s`, `2m`, `1h` or a bare number of seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new RangeError(`"${text}" is not a duration (e.g. 500ms, 30s, 2m, 1h)`);
  const amount = Number(match[1]);
  const unit = match[2] ?? 's';
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit] as number;
  return Math.round(amount * factor);
}
