import { Logger } from '@nestjs/common';
import { type AssetEvent, type BusMessage, subjects } from '@openfoundry/bus-registry';
import type { ControlBus, ControlSubscription } from '@openfoundry/event-bus-control';
import { ANY, filterKey, type LiveFilter } from './filters.ts';
import type { LiveConnection } from './live-connection.ts';

/** Opens core-NATS subscriptions on live subjects; the ControlBus in production, a fake in unit tests. */
export interface LiveSubjectSource {
  subscribe(
    tokens: { tenant: string; asset?: string; attribute?: string },
    handler: (message: BusMessage<AssetEvent>) => Promise<void>,
  ): ControlSubscription;
}

export const controlBusSource = (bus: ControlBus): LiveSubjectSource => ({
  subscribe: (tokens, handler) => bus.subscribe(subjects.liveAssetEvents, { tokens, handler }),
});

interface Shared {
  subscription: ControlSubscription;
  connections: Set<LiveConnection>;
}

/**
 * One NATS subscription per distinct (tenant, asset, attribute) pattern on this instance, shared by
 * every connection that asked for it: a thousand dashboards on one asset cost one subscription and
 * one decode per event. Subscriptions are opened on first use and closed with their last user.
 */
export class SubscriptionHub {
  readonly #logger = new Logger(SubscriptionHub.name);
  readonly #shared = new Map<string, Shared>();
  readonly #source: LiveSubjectSource | undefined;

  /** Without a source (documents-only boot) every subscription attempt fails. */
  constructor(source: LiveSubjectSource | undefined) {
    this.#source = source;
  }

  get subscriptions(): number {
    return this.#shared.size;
  }

  /**
   * Subscribes `connection` to its tenant's subjects for each filter; resolves once the NATS server
   * has every subscription, so events published afterwards reach it.
   */
  async add(connection: LiveConnection, filters: readonly LiveFilter[]): Promise<void> {
    await Promise.all(filters.map((filter) => this.#acquire(connection, filter)));
  }

  /** Unsubscribes `connection` from the given filters (all of them when omitted). */
  async remove(
    connection: LiveConnection,
    filters: readonly LiveFilter[] = connection.filters,
  ): Promise<void> {
    await Promise.all(filters.map((filter) => this.#release(connection, filter)));
  }

  async close(): Promise<void> {
    const all = [...this.#shared.values()];
    this.#shared.clear();
    await Promise.allSettled(all.map((s) => s.subscription.close()));
  }

  async #acquire(connection: LiveConnection, filter: LiveFilter): Promise<void> {
    const key = `${connection.tenant}.${filterKey(filter)}`;
    let shared = this.#shared.get(key);
    if (!shared) {
      const source = this.#requireSource();
      const connections = new Set<LiveConnection>();
      const own = filterKey(filter);
      const subscription = source.subscribe(
        {
          tenant: connection.tenant,
          ...(filter.asset === ANY ? {} : { asset: filter.asset }),
          ...(filter.attribute === ANY ? {} : { attribute: filter.attribute }),
        },
        async (message) => fanOut(connections, own, message.value),
      );
      shared = { subscription, connections };
      this.#shared.set(key, shared);
      subscription.ready.catch((error: unknown) => {
        this.#logger.error(
          { subject: subscription.subject, err: (error as Error).message },
          'live subscription refused',
        );
        if (this.#shared.get(key) === shared) this.#shared.delete(key);
      });
    }
    shared.connections.add(connection);
    await shared.subscription.ready;
  }

  async #release(connection: LiveConnection, filter: LiveFilter): Promise<void> {
    const key = `${connection.tenant}.${filterKey(filter)}`;
    const shared = this.#shared.get(key);
    if (!shared) return;
    shared.connections.delete(connection);
    if (shared.connections.size > 0) return;
    this.#shared.delete(key);
    await shared.subscription.close();
  }

  #requireSource(): LiveSubjectSource {
    if (!this.#source) throw new Error('live subscriptions need the control bus');
    return this.#source;
  }
}

/** Hands one event to every connection for which this subscription is the first matching filter. */
export function fanOut(connections: Iterable<LiveConnection>, filter: string, event: AssetEvent): void {
  let json: string | undefined;
  for (const connection of connections) {
    if (!connection.owns(filter, event.assetId, event.attribute)) continue;
    json ??= JSON.stringify(event);
    connection.push({ event, json });
  }
}
