/** Keys follow the asset-stream convention (`<tenant-id>/<asset-id>`, see ADR 0003). */
export function assetKeys(count: number): Buffer[] {
  const width = String(count - 1).length;
  return Array.from({ length: count }, (_, i) =>
    Buffer.from(`bench/asset-${String(i).padStart(width, '0')}`),
  );
}

/**
 * A value of `size` bytes whose first four bytes carry the per-key sequence number, so a reader
 * can tell which record of a key it holds; the rest is filler that compresses like real payloads.
 */
export function sequencedValue(seq: number, size: number): Buffer {
  const value = Buffer.alloc(size, 0x61 + (seq % 26));
  value.writeUInt32BE(seq, 0);
  return value;
}

export const readSequence = (value: Buffer): number => value.readUInt32BE(0);

export interface WindowResult {
  issued: number;
  acked: number;
  failed: number;
  elapsedMs: number;
  /** The first few distinct error messages, to show what a client surfaced. */
  errors: string[];
  /** True when the deadline passed before every task was issued and settled. */
  timedOut: boolean;
}

/**
 * Runs `total` tasks with at most `inFlight` unsettled at once, in index order. Tasks still open at
 * the deadline are abandoned (the result says so) so a stuck client cannot hang the benchmark.
 */
export async function runWindow(
  total: number,
  inFlight: number,
  task: (index: number) => Promise<void>,
  options: { deadlineMs: number; onSettled?: (settled: number) => void },
): Promise<WindowResult> {
  const started = performance.now();
  const deadline = Date.now() + options.deadlineMs;
  const result: WindowResult = { issued: 0, acked: 0, failed: 0, elapsedMs: 0, errors: [], timedOut: false };
  let open = 0;
  let wake: (() => void) | undefined;
  const settled = () => {
    open--;
    options.onSettled?.(result.acked + result.failed);
    wake?.();
  };
  const waitForRoom = (limit: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      wake = () => {
        if (open <= limit) {
          clearTimeout(timer);
          resolve();
        }
      };
      wake();
    });

  while (result.issued < total && Date.now() < deadline) {
    if (open >= inFlight) {
      await waitForRoom(inFlight - 1);
      continue;
    }
    const index = result.issued++;
    open++;
    task(index).then(
      () => {
        result.acked++;
        settled();
      },
      (error: unknown) => {
        result.failed++;
        const message = error instanceof Error ? error.message : String(error);
        if (result.errors.length < 3 && !result.errors.includes(message)) result.errors.push(message);
        settled();
      },
    );
  }
  if (open > 0) await waitForRoom(0);
  result.elapsedMs = performance.now() - started;
  result.timedOut = result.issued < total || open > 0;
  return result;
}

export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return Number.NaN;
  const index = Math.min(sortedMs.length - 1, Math.ceil((p / 100) * sortedMs.length) - 1);
  return sortedMs[Math.max(0, index)] ?? Number.NaN;
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000}s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
