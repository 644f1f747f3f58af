import { Injectable } from '@nestjs/common';

export type ReadinessCheck = () => Promise<unknown>;
export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, 'ok' | 'failing'>;
  failing: string[];
}

const CHECK_TIMEOUT_MS = 2_000;

/** The service's real dependencies; /readyz is 200 only while every check passes and no shutdown began. */
@Injectable()
export class ReadinessService {
  private readonly checks = new Map<string, ReadinessCheck>();
  private shuttingDown = false;

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  async evaluate(): Promise<ReadinessReport> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS);
        });
        try {
          await Promise.race([check(), timeout]);
          return [name, 'ok'] as const;
        } catch {
          return [name, 'failing'] as const;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const checks: ReadinessReport['checks'] = Object.fromEntries(entries);
    if (this.shuttingDown) checks.shutdown = 'failing';
    const failing = Object.entries(checks)
      .filter(([, state]) => state === 'failing')
      .map(([name]) => name);
    return { ready: failing.length === 0, checks, failing };
  }
}
