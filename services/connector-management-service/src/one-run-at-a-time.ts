/**
 * Runs a task one run at a time. A request while a run goes on asks for one more run after it,
 * however many requests came, so whatever prompted a request is seen by a whole run.
 */
export class OneRunAtATime {
  #running: Promise<void> | undefined;
  #again = false;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly options: {
      /** A failed run is reported here; the next request runs the task again. */
      onError: (error: Error) => void;
      /** Checked on every request: false ignores it. */
      mayRun?: () => boolean;
    },
  ) {}

  get busy(): boolean {
    return this.#running !== undefined;
  }

  request(): void {
    if (this.options.mayRun && !this.options.mayRun()) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.task()
      .catch((error: unknown) => this.options.onError(error as Error))
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.request();
        }
      });
  }

  /** Resolves once no run goes on, including the runs requested during the last one. */
  async settled(): Promise<void> {
    while (this.#running) await this.#running;
  }
}
