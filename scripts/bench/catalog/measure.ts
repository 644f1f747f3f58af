/** Commits per second and latency of N concurrent writers, each committing back to back for a while. */

export interface Run {
  writers: number;
  commits: number;
  seconds: number;
  /** Successful commits' round trips in ms, retries included, sorted. */
  latencies: number[];
  /** 409s (or lost compare-and-swaps) that forced a reload and another try. */
  retries: number;
}

/** One commit that eventually succeeds; resolves with how many times it had to retry. */
export type CommitOnce = () => Promise<number>;

export async function runWriters(writers: CommitOnce[], seconds: number): Promise<Run> {
  const latencies: number[] = [];
  let retries = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    writers.map(async (commit) => {
      while (performance.now() < deadline) {
        const sent = performance.now();
        retries += await commit();
        latencies.push(performance.now() - sent);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return {
    writers: writers.length,
    commits: latencies.length,
    seconds: elapsed,
    latencies: sorted(latencies),
    retries,
  };
}

/** Times `times` sequential calls; ms in call order. */
export async function timeEach(times: number, call: () => Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < times; i++) {
    const sent = performance.now();
    await call();
    latencies.push(performance.now() - sent);
  }
  return latencies;
}

export const sorted = (values: readonly number[]) => [...values].sort((a, b) => a - b);

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

export const commitsPerSecond = (run: Run) => run.commits / run.seconds;
