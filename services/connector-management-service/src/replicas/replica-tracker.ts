import { Injectable } from '@nestjs/common';
import type { heartbeatSchema } from '@openfoundry/bus-registry';
import { InjectConfig } from '@openfoundry/service-kit';
import type { z } from 'zod';
import type { ConnectorManagementConfig } from '../config.ts';
import { type ReplicaState, type ReplicaView, replicaState } from './assignment.ts';

export type Heartbeat = z.output<typeof heartbeatSchema.zod>;

export interface TrackedReplica extends ReplicaView {
  heartbeat: Heartbeat;
  firstSeenAt: number;
}

/**
 * The replicas this instance has heard from, by their last heartbeat. Every instance keeps one (the
 * passive ones too), so command routing and a new leader know who is alive without waiting.
 */
@Injectable()
export class ReplicaTracker {
  readonly #replicas = new Map<string, TrackedReplica>();
  /** When this instance started listening: before one lease has passed it cannot tell who is dead. */
  #listeningSince: number | undefined;

  constructor(@InjectConfig() private readonly config: ConnectorManagementConfig) {}

  startListening(now = Date.now()): void {
    this.#listeningSince = now;
  }

  /** True once a whole lease has passed since listening began, so silence means death. */
  warm(now = Date.now()): boolean {
    return this.#listeningSince !== undefined && now - this.#listeningSince >= this.config.CONNECTOR_LEASE_MS;
  }

  accepts(replica: string): boolean {
    return this.config.CONNECTOR_REPLICA_FILTER.test(replica);
  }

  /** Records a heartbeat; says what changed that the coordinator must act on. */
  record(heartbeat: Heartbeat, now = Date.now()): { joined: boolean; changed: boolean } {
    const previous = this.#replicas.get(heartbeat.replica);
    const joined = !previous || this.state(previous, now) === 'dead';
    const changed =
      joined ||
      previous.accepting !== heartbeat.accepting ||
      previous.heartbeat.startedAt !== heartbeat.startedAt ||
      previous.protocols.join() !== heartbeat.protocols.join();
    this.#replicas.set(heartbeat.replica, {
      id: heartbeat.replica,
      protocols: heartbeat.protocols,
      accepting: heartbeat.accepting,
      lastHeartbeatAt: now,
      heartbeat,
      firstSeenAt: joined || !previous ? now : previous.firstSeenAt,
    });
    return { joined, changed };
  }

  state(replica: ReplicaView, now = Date.now()): ReplicaState {
    return replicaState(replica, now, this.config.CONNECTOR_LEASE_MS);
  }

  get(id: string): TrackedReplica | undefined {
    return this.#replicas.get(id);
  }

  list(): TrackedReplica[] {
    return [...this.#replicas.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /** Forgets replicas dead for long (ten leases), so the list does not grow forever. */
  prune(now = Date.now()): void {
    for (const [id, replica] of this.#replicas)
      if (now - replica.lastHeartbeatAt > 10 * this.config.CONNECTOR_LEASE_MS) this.#replicas.delete(id);
  }
}
