import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { atMost } from './at-most.ts';

describe('atMost', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('gives up on work that never settles once its time is up, not before', async () => {
    let done = false;
    const waiting = atMost(new Promise(() => {}), 2_000).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(1_999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await waiting;
    expect(done).toBe(true);
  });

  it('resolves as soon as the work settles, failed or not, and leaves no timer behind', async () => {
    await expect(atMost(Promise.reject(new Error('server gone')), 2_000)).resolves.toBeUndefined();
    await expect(atMost(Promise.resolve('closed'), 2_000)).resolves.toBeUndefined();
    await expect(atMost(undefined, 2_000)).resolves.toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
  });
});
