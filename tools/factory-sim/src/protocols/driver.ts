import type { Protocol } from '../layout.ts';
import type { SimEvent, TruthStatus } from '../truth.ts';

export interface ProtocolStats {
  /** Events handed to the receiver. */
  sent: number;
  acked: number;
  rejected: number;
  /** Sent and never confirmed (only known once the run has drained). */
  unacked: number;
  /** Sent and not yet confirmed. */
  inFlight: number;
  /** Requests repeated after 503/429 or a network error (HTTP). */
  retries: number;
}

export type OutcomeListener = (event: SimEvent, status: TruthStatus) => void;

/** One way of delivering simulated events; one implementation per protocol. */
export interface ProtocolDriver {
  readonly protocol: Protocol;
  start(): Promise<void>;
  /** Resolves true when one more event may be sent, false once the driver is stopping. */
  ready(): Promise<boolean>;
  send(event: SimEvent): void;
  /** Stops taking events and waits up to timeoutMs for confirmations; the rest become `unacked`. */
  drain(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
  stats(): ProtocolStats;
}

export function emptyStats(): ProtocolStats {
  return { sent: 0, acked: 0, rejected: 0, unacked: 0, inFlight: 0, retries: 0 };
}

/** Waiters released together: for "capacity freed" and "everything confirmed" conditions. */
export class Signal {
  #waiters: (() => void)[] = [];

  wait(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

/** Resolves when `done()` holds, re-checking each time `signal` fires, or after timeoutMs. */
export async function waitUntil(done: () => boolean, signal: Signal, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  let timedOut = false;
  void timeout.then(() => {
    timedOut = true;
  });
  try {
    while (!done() && !timedOut) await Promise.race([signal.wait(), timeout]);
    return done();
  } finally {
    clearTimeout(timer);
  }
}
