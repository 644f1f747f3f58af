import { describe, expect, it } from 'vitest';
import { type Clock, pace, parseDuration, TokenBucket } from './rate.ts';

/** A clock that only moves when someone sleeps on it. */
function fakeClock(): Clock & { advance(ms: number): void } {
  let now = 0;
  return {
    now: () => now,
    advance(ms) {
      now += ms;
    },
    async sleep(ms) {
      now += ms;
    },
  };
}

describe(TokenBucket.name, () => {
  it('grants tokens in proportion to the elapsed time', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(100, 1000, clock);
    expect(bucket.take(1000)).toBe(0);
    clock.advance(250);
    expect(bucket.take(1000)).toBe(25);
    clock.advance(5);
    expect(bucket.take(1000)).toBe(0);
    clock.advance(5);
    expect(bucket.take(1000)).toBe(1);
  });

  it('keeps fractions of a token between calls', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(3, 10, clock);
    let granted = 0;
    for (let i = 0; i < 1000; i++) {
      clock.advance(7);
      granted += bucket.take(10);
    }
    // 7 s at 3/s, give or take the last fraction.
    expect(granted).toBe(21);
  });

  it('saves up no more than its capacity during a stall', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(1000, 100, clock);
    clock.advance(60_000);
    expect(bucket.take(10_000)).toBe(100);
    expect(bucket.take(10_000)).toBe(0);
  });

  it('gives at most the number asked for and keeps the rest', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(100, 100, clock);
    clock.advance(500);
    expect(bucket.take(10)).toBe(10);
    expect(bucket.take(100)).toBe(40);
  });

  it('says how long until the next token', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(4, 4, clock);
    expect(bucket.msUntilNext()).toBe(250);
    clock.advance(100);
    expect(bucket.msUntilNext()).toBeCloseTo(150);
    clock.advance(150);
    expect(bucket.msUntilNext()).toBe(0);
  });

  it('rejects a rate that is not positive and a capacity below one', () => {
    expect(() => new TokenBucket(0, 1)).toThrow(/rate/);
    expect(() => new TokenBucket(Number.NaN, 1)).toThrow(/rate/);
    expect(() => new TokenBucket(-5, 1)).toThrow(/rate/);
    expect(() => new TokenBucket(10, 0.5)).toThrow(/capacity/);
  });
});

describe(pace.name, () => {
  it('emits rate × elapsed time events', async () => {
    const clock = fakeClock();
    const stop = new AbortController();
    let emitted = 0;
    await pace(
      new TokenBucket(250, 25, clock),
      () => {
        emitted++;
        if (clock.now() >= 10_000) stop.abort();
      },
      stop.signal,
      clock,
    );
    // 10 s at 250/s: one token per 4 ms, the abort comes with the event at t = 10 000.
    expect(emitted).toBe(2500);
  });

  it('waits for a slow consumer and catches up at most the capacity afterwards', async () => {
    const clock = fakeClock();
    const stop = new AbortController();
    const times: number[] = [];
    await pace(
      new TokenBucket(100, 5, clock),
      () => {
        times.push(clock.now());
        if (times.length === 10) clock.advance(1000); // backpressure: one second stuck in emit
        if (times.length === 40) stop.abort();
      },
      stop.signal,
      clock,
    );
    const afterStall = times.filter((t) => t === times[10]).length;
    expect(afterStall).toBeLessThanOrEqual(5);
    expect(afterStall).toBeGreaterThan(1);
  });
});

describe(parseDuration.name, () => {
  it('reads milliseconds, seconds, minutes, hours and bare seconds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('60s')).toBe(60_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('3')).toBe(3000);
  });

  it('rejects anything else', () => {
    for (const bad of ['', 's', '-1s', '10 minutes', '1d', '1e3'])
      expect(() => parseDuration(bad)).toThrow(/duration/);
  });
});
