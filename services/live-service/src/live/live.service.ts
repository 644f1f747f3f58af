import { randomUUID } from 'node:crypto';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnModuleInit,
} from '@nestjs/common';
import { InjectConfig } from '@openfoundry/service-kit';
import type { LiveConfig } from '../config.ts';
import { ShuttingDownError, TooManyConnectionsError, TooManyFiltersError } from '../live.errors.ts';
import { filterKey, type LiveFilter, uniqueFilters } from './filters.ts';
import { LiveConnection } from './live-connection.ts';
import { SubscriptionHub } from './subscription-hub.ts';

export const SHUTDOWN_REASON = 'server shutting down';

export interface LiveStatus {
  connections: number;
  subscriptions: number;
  byTenant: Record<string, number>;
}

/**
 * Every open SSE and WebSocket connection of this instance: limits per tenant and per connection,
 * heartbeats, and closing them all with a reason when the service stops.
 */
@Injectable()
export class LiveService implements OnModuleInit, BeforeApplicationShutdown {
  readonly #logger = new Logger(LiveService.name);
  readonly #connections = new Set<LiveConnection>();
  readonly #perTenant = new Map<string, number>();
  #heartbeat: NodeJS.Timeout | undefined;
  #closing = false;

  constructor(
    @InjectConfig() private readonly config: LiveConfig,
    @Inject(SubscriptionHub) private readonly hub: SubscriptionHub,
  ) {}

  onModuleInit(): void {
    this.#heartbeat = setInterval(() => {
      for (const connection of this.#connections) connection.send({ type: 'heartbeat' });
    }, this.config.LIVE_HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  /** Registers a new connection for `tenant`; 429 past the tenant's limit, 503 while shutting down. */
  open(tenant: string, kind: LiveConnection['kind']): LiveConnection {
    if (this.#closing) throw new ShuttingDownError();
    const open = this.#perTenant.get(tenant) ?? 0;
    if (open >= this.config.LIVE_MAX_CONNECTIONS_PER_TENANT)
      throw new TooManyConnectionsError(tenant, this.config.LIVE_MAX_CONNECTIONS_PER_TENANT);
    const connection = new LiveConnection({
      id: randomUUID(),
      tenant,
      kind,
      queueLimit: this.config.LIVE_QUEUE_LIMIT,
    });
    this.#connections.add(connection);
    this.#perTenant.set(tenant, open + 1);
    return connection;
  }

  /**
   * Adds filters to a connection (ones it holds already are ignored) and resolves once the NATS
   * subscriptions are in place. Returns the filters that were new.
   */
  async subscribe(connection: LiveConnection, filters: readonly LiveFilter[]): Promise<LiveFilter[]> {
    const held = new Set(connection.filters.map(filterKey));
    const added = uniqueFilters(filters).filter((f) => !held.has(filterKey(f)));
    if (held.size + added.length > this.config.LIVE_MAX_FILTERS_PER_CONNECTION)
      throw new TooManyFiltersError(this.config.LIVE_MAX_FILTERS_PER_CONNECTION);
    connection.setFilters([...connection.filters, ...added]);
    try {
      await this.hub.add(connection, added);
    } catch (error) {
      await this.unsubscribe(connection, added);
      throw error;
    }
    return added;
  }

  /** Removes filters from a connection; returns the ones it held. */
  async unsubscribe(connection: LiveConnection, filters: readonly LiveFilter[]): Promise<LiveFilter[]> {
    const drop = new Set(filters.map(filterKey));
    const removed = connection.filters.filter((f) => drop.has(filterKey(f)));
    connection.setFilters(connection.filters.filter((f) => !drop.has(filterKey(f))));
    await this.hub.remove(connection, removed);
    return removed;
  }

  /** Forgets a connection that ended (client gone or closed by us) and drops its subscriptions. */
  async release(connection: LiveConnection): Promise<void> {
    if (!this.#connections.delete(connection)) return;
    connection.gone();
    const open = (this.#perTenant.get(connection.tenant) ?? 1) - 1;
    if (open > 0) this.#perTenant.set(connection.tenant, open);
    else this.#perTenant.delete(connection.tenant);
    await this.hub
      .remove(connection)
      .catch((error: unknown) =>
        this.#logger.warn({ connection: connection.id, err: (error as Error).message }, 'unsubscribe failed'),
      );
  }

  status(): LiveStatus {
    return {
      connections: this.#connections.size,
      subscriptions: this.hub.subscriptions,
      byTenant: Object.fromEntries(this.#perTenant),
    };
  }

  /** Before the HTTP server stops: long-lived connections would hold it open forever. */
  async beforeApplicationShutdown(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#heartbeat);
    const connections = [...this.#connections];
    for (const connection of connections) connection.close(SHUTDOWN_REASON);
    await Promise.allSettled(connections.map((c) => this.release(c)));
    await this.hub.close();
    if (connections.length > 0)
      this.#logger.log({ connections: connections.length }, 'live connections closed for shutdown');
  }
}
