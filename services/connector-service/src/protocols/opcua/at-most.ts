/** How long each step of stopping an OPC UA device may wait for its server. */
export const STOP_STEP_MS = 2_000;

/** Waits for `work` to settle, or `ms`, whichever comes first; its failure is of no interest. */
export function atMost(work: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (!work) return Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work.then(
      () => undefined,
      () => undefined,
    ),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
