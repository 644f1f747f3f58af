import { describe, expect, it } from 'vitest';
import { OneRunAtATime } from './one-run-at-a-time.ts';

/** A task whose runs the test ends one by one. */
function controlledTask() {
  const ends: (() => void)[] = [];
  let runs = 0;
  const task = () =>
    new Promise<void>((resolve) => {
      runs++;
      ends.push(resolve);
    });
  return { task, ends, runs: () => runs };
}

describe(OneRunAtATime.name, () => {
  it('runs once per request while idle, and once more after a run that had requests', async () => {
    const { task, ends, runs } = controlledTask();
    const runner = new OneRunAtATime(task, { onError: () => undefined });
    runner.request();
    runner.request();
    runner.request();
    expect(runs()).toBe(1);
    ends.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs()).toBe(2);
    ends.shift()?.();
    await runner.settled();
    expect(runs()).toBe(2);
    expect(runner.busy).toBe(false);
  });

  it('ignores requests it may not run, and reports a failed run', async () => {
    const errors: string[] = [];
    let allowed = false;
    const runner = new OneRunAtATime(async () => Promise.reject(new Error('boom')), {
      onError: (error) => errors.push(error.message),
      mayRun: () => allowed,
    });
    runner.request();
    expect(runner.busy).toBe(false);
    allowed = true;
    runner.request();
    await runner.settled();
    expect(errors).toEqual(['boom']);
  });
});
