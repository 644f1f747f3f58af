import type { SubjectDef, TopicDef } from '@openfoundry/bus-registry';
import { BusError, BusErrorCode, parsePayload } from '@openfoundry/bus-registry';
import type { ControlBus, ControlPublisher } from '@openfoundry/event-bus-control';
import type { DataBus, Publisher } from '@openfoundry/event-bus-data';
import { type ColumnType, type Generated, type Kysely, sql, type Transaction } from 'kysely';
import type { Logger as PinoLogger } from 'pino';

/** A record for a data-bus topic, written with the state change that caused it. */
export interface OutboxRecord<T> {
  topic: TopicDef<T>;
  key: string;
  value: T;
  /** OpenLineage job name; `<service>.outbox` when absent. */
  job?: string;
}

/** A message for a stored control-bus subject, written with the state change that caused it. */
export interface OutboxSignal<T> {
  subject: SubjectDef<T>;
  tokens: Record<string, string>;
  value: T;
}

export type OutboxEntry = OutboxRecord<unknown> | OutboxSignal<unknown>;

interface OutboxRow {
  id: Generated<string>;
  bus: 'data' | 'control';
  destination: string;
  message_key: string | null;
  // Written as JSON text, read back parsed by pg.
  tokens: ColumnType<unknown, string | null, string | null>;
  job: string | null;
  payload: ColumnType<unknown, string, string>;
  attempts: Generated<number>;
  last_error: string | null;
}

interface OutboxTable {
  outbox: OutboxRow;
}

interface OutboxMessage {
  id: string;
  bus: 'data' | 'control';
  destination: string;
  message_key: string | null;
  tokens: unknown;
  job: string | null;
  payload: unknown;
}

// biome-ignore lint/suspicious/noExplicitAny: the outbox works inside any service's database type
type AnyDb = Kysely<any> | Transaction<any>;

/**
 * Appends bus messages inside the caller's transaction: they are published if and only if the
 * transaction commits (the relay sends them afterwards, at least once). Payloads are validated
 * here so a bad one fails the business transaction instead of blocking the outbox later.
 */
export async function appendToOutbox(db: AnyDb, entries: readonly OutboxEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const rows = entries.map((entry) => {
    if ('topic' in entry) {
      const parsed = parsePayload(entry.topic.schema, entry.value);
      if (!parsed.success) {
        throw new BusError(
          BusErrorCode.InvalidPayload,
          `outbox: ${entry.topic.name}: ${parsed.error.message}`,
        );
      }
      return {
        bus: 'data' as const,
        destination: entry.topic.name,
        message_key: entry.key,
        tokens: null,
        job: entry.job ?? null,
        payload: JSON.stringify(parsed.data),
      };
    }
    const parsed = parsePayload(entry.subject.schema, entry.value);
    if (!parsed.success) {
      throw new BusError(
        BusErrorCode.InvalidPayload,
        `outbox: ${entry.subject.name}: ${parsed.error.message}`,
      );
    }
    return {
      bus: 'control' as const,
      destination: entry.subject.name,
      message_key: null,
      tokens: JSON.stringify(entry.tokens),
      job: null,
      payload: JSON.stringify(parsed.data),
    };
  });
  await (db as Kysely<OutboxTable>).insertInto('outbox').values(rows).execute();
}

// One relay per service database at a time keeps the publish order the commit order.
const RELAY_LOCK = 0x7e_4a_00_0f;

export interface OutboxRelayOptions {
  service: string;
  db: Kysely<unknown>;
  data?: DataBus | undefined;
  control?: ControlBus | undefined;
  logger: PinoLogger;
  intervalMs?: number;
  batchSize?: number;
}

/**
 * Moves committed outbox rows to the buses, oldest first, and deletes each batch only after every
 * message in it was acknowledged (Kafka acks=all, JetStream stream ack). A crash in between sends
 * the batch again: data-bus consumers see a duplicate record, and the control bus drops the copy by
 * its message id (`outbox-<id>`) inside the stream's duplicate window.
 */
export class OutboxRelay {
  readonly #options: Required<Omit<OutboxRelayOptions, 'data' | 'control'>> &
    Pick<OutboxRelayOptions, 'data' | 'control'>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #again = false;
  #failures = 0;
  // One publisher per destination (and job) for the relay's life, not one per row.
  readonly #dataPublishers = new Map<string, Publisher<unknown>>();
  readonly #controlPublishers = new Map<string, ControlPublisher<unknown>>();
  /** Rows published since start. */
  published = 0;

  constructor(options: OutboxRelayOptions) {
    this.#options = { intervalMs: 500, batchSize: 500, ...options };
  }

  start(): void {
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Runs the relay now (after a commit) instead of at the next tick. */
  poke(): void {
    if (this.#stopped) return;
    if (this.#running) this.#again = true;
    else this.#schedule(0);
  }

  /** Stops polling and waits for the batch in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** Publishes until the outbox is empty; for tests and shutdown. */
  async drain(): Promise<void> {
    while ((await this.#runOnce()) > 0) {}
  }

  #schedule(delayMs: number) {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#running = this.#runOnce()
        .then((sent) => {
          this.#failures = 0;
          return sent;
        })
        .catch((error: Error) => {
          this.#failures += 1;
          this.#options.logger.warn(
            { context: 'OutboxRelay', err: error, failures: this.#failures },
            'outbox relay failed; retrying',
          );
          return 0;
        })
        .then((sent) => {
          this.#running = undefined;
          if (this.#stopped) return;
          const busy = sent >= this.#options.batchSize || this.#again;
          this.#again = false;
          const backoff = Math.min(30_000, this.#options.intervalMs * 2 ** this.#failures);
          this.#schedule(busy ? 0 : this.#failures > 0 ? backoff : this.#options.intervalMs);
        });
    }, delayMs);
  }

  async #runOnce(): Promise<number> {
    const { db, batchSize } = this.#options;
    return (db as Kysely<OutboxTable>).transaction().execute(async (trx) => {
      const { rows } = await sql<{
        locked: boolean;
      }>`select pg_try_advisory_xact_lock(${RELAY_LOCK}) as locked`.execute(trx);
      if (!rows[0]?.locked) return 0;
      const batch = await trx.selectFrom('outbox').selectAll().orderBy('id').limit(batchSize).execute();
      if (batch.length === 0) return 0;
      try {
        await this.#publish(batch);
      } catch (error) {
        await trx
          .updateTable('outbox')
          .set({ attempts: sql`attempts + 1`, last_error: String((error as Error).message).slice(0, 1000) })
          .where('id', '=', batch[0]?.id ?? '0')
          .execute();
        throw error;
      }
      await trx
        .deleteFrom('outbox')
        .where(
          'id',
          'in',
          batch.map((r) => r.id),
        )
        .execute();
      this.published += batch.length;
      return batch.length;
    });
  }

  async #publish(batch: OutboxMessage[]): Promise<void> {
    const { data, control, service } = this.#options;
    // In order: a control signal never overtakes the data record committed before it.
    let pendingData: Promise<unknown>[] = [];
    for (const row of batch) {
      if (row.bus === 'data') {
        if (!data)
          throw new Error(`outbox row ${row.id} is for the data bus, which this service does not connect`);
        const job = row.job ?? `${service}.outbox`;
        const key = `${row.destination}\u0000${job}`;
        let publisher = this.#dataPublishers.get(key);
        if (!publisher) {
          publisher = data.publisher(row.destination, { job });
          this.#dataPublishers.set(key, publisher);
        }
        pendingData.push(publisher.publish({ key: row.message_key ?? String(row.id), value: row.payload }));
        continue;
      }
      await Promise.all(pendingData);
      pendingData = [];
      if (!control)
        throw new Error(`outbox row ${row.id} is for the control bus, which this service does not connect`);
      let signals = this.#controlPublishers.get(row.destination);
      if (!signals) {
        signals = control.publisher(row.destination);
        this.#controlPublishers.set(row.destination, signals);
      }
      await signals.publish({
        tokens: row.tokens as Record<string, string>,
        value: row.payload,
        msgId: `${service}-outbox-${row.id}`,
      } as never);
    }
    await Promise.all(pendingData);
  }
}
