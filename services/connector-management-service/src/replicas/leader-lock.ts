import { Injectable, Logger } from '@nestjs/common';
import { InjectDb } from '@openfoundry/service-kit';
import { type Kysely, sql } from 'kysely';

// One coordinator per database at a time: the holder of this session-level advisory lock.
const COORDINATOR_LOCK = 0x0c_0e_0020;
const RETRY_MS = 1_000;

/**
 * Holds the coordinator lock on a connection of its own for as long as this instance leads.
 * Instances that do not get it stay passive and try again every second; the lock goes with the
 * session, so a leader that dies (or loses its connection) frees it for the next.
 */
@Injectable()
export class LeaderLock {
  private readonly logger = new Logger(LeaderLock.name);
  #leading = false;
  #stopped = false;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;

  constructor(@InjectDb() private readonly db: Kysely<unknown>) {}

  get leading(): boolean {
    return this.#leading;
  }

  start(onChange: (leading: boolean) => void): void {
    this.#loop ??= this.#run(onChange);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async #run(onChange: (leading: boolean) => void): Promise<void> {
    const set = (leading: boolean) => {
      if (this.#leading === leading) return;
      this.#leading = leading;
      this.logger.log({ msg: leading ? 'became the coordinator' : 'no longer the coordinator' });
      onChange(leading);
    };
    while (!this.#stopped) {
      try {
        await this.db.connection().execute(async (connection) => {
          while (!this.#stopped) {
            const { rows } = await sql<{
              locked: boolean;
            }>`select pg_try_advisory_lock(${COORDINATOR_LOCK}) as locked`.execute(connection);
            if (rows[0]?.locked) break;
            await this.#sleep(RETRY_MS);
          }
          if (this.#stopped) return;
          set(true);
          // The lock lives as long as this session: keep using it so a dead connection is noticed.
          while (!this.#stopped) {
            await this.#sleep(RETRY_MS);
            await sql`select 1`.execute(connection);
          }
          set(false);
          await sql`select pg_advisory_unlock(${COORDINATOR_LOCK})`.execute(connection);
        });
      } catch (error) {
        set(false);
        if (!this.#stopped) {
          this.logger.warn({ msg: 'coordinator lock lost; trying again', err: (error as Error).message });
          await this.#sleep(RETRY_MS);
        }
      }
    }
  }
}
