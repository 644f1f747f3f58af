import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type DeviceSpec, subjects } from '@openfoundry/bus-registry';
import type { ControlBus, ControlSubscription } from '@openfoundry/event-bus-control';
import { InjectConfig, InjectControlBus } from '@openfoundry/service-kit';
import type { ConnectorManagementConfig } from '../config.ts';
import { type DeviceStatusRow, DevicesRepository } from '../devices/devices.repository.ts';
import { OneRunAtATime } from '../one-run-at-a-time.ts';
import { type DeviceView, planAssignment, runsEverywhere } from './assignment.ts';
import { AssignmentsRepository, entryKey } from './assignments.repository.ts';
import { LeaderLock } from './leader-lock.ts';
import { type Heartbeat, ReplicaTracker } from './replica-tracker.ts';

export const deviceKey = (tenant: string, device: string) => `${tenant}/${device}`;

/** What was last sent to one replica and whether it answered. */
interface SendState {
  version: number;
  /** Sorted `tenant/device@revision` entries. */
  entries: string[];
  acknowledged: boolean;
  /** The replica process that acknowledged (its startedAt); a restarted replica is sent it again. */
  startedAt: string | undefined;
  inFlight: boolean;
  retryAt: number;
  /** The entries the replica last acknowledged: what it runs until it acknowledges another set. */
  applied: string[];
  /** The replica process (startedAt) that acknowledged `applied`; unknown when loaded from the database. */
  appliedBy: string | undefined;
}

const RETRY_MS = 1_000;

/**
 * The coordinator (ADR 0003): every instance follows heartbeats; the instance holding the leader
 * lock also places devices on replicas, sends each affected replica its whole assignment until it
 * answers, and stores the device status the replicas report.
 */
@Injectable()
export class CoordinatorService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CoordinatorService.name);
  #subscription: ControlSubscription | undefined;
  #timer: NodeJS.Timeout | undefined;
  #devices = new Map<string, DeviceSpec>();
  #deviceMarker: string | undefined;
  /** Where each single-replica device runs (device key → replica); loaded from the database on lead. */
  #placement: Map<string, string> | undefined;
  #sent = new Map<string, SendState>();
  readonly #reconciles = new OneRunAtATime(() => this.#reconcile(), {
    mayRun: () => !this.#stopped && this.lock.leading && this.tracker.warm(),
    onError: (error) => this.logger.error({ msg: 'reconcile failed; trying again', err: error.message }),
  });
  #sends = new Set<Promise<void>>();
  #pendingStatus = new Map<string, DeviceStatusRow>();
  #writtenStatus = new Map<string, { status: string; detail: string | null; at: number }>();
  #stopped = false;
  /** Since when a device's new replica has waited for the old one to let it go (device key → ms). */
  #handoverSince = new Map<string, number>();

  constructor(
    @InjectConfig() private readonly config: ConnectorManagementConfig,
    @InjectControlBus() private readonly bus: ControlBus | null,
    private readonly tracker: ReplicaTracker,
    private readonly lock: LeaderLock,
    private readonly devices: DevicesRepository,
    private readonly assignments: AssignmentsRepository,
  ) {}

  get leading(): boolean {
    return this.lock.leading;
  }

  async onApplicationBootstrap(): Promise<void> {
    // Without a control bus (building the OpenAPI document) there is nothing to coordinate.
    if (!this.bus) return;
    this.#subscription = this.bus.subscribe(subjects.connectorHeartbeat, {
      handler: async (message) => this.#onHeartbeat(message.value),
    });
    await this.#subscription.ready;
    this.tracker.startListening();
    this.lock.start((leading) => {
      if (leading) this.poke();
      else this.#resetLeaderState();
    });
    this.#timer = setInterval(() => this.poke(), this.config.CONNECTOR_RECONCILE_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#subscription?.close();
    await this.#reconciles.settled();
    await Promise.allSettled([...this.#sends]);
    await this.#flushStatus().catch(() => undefined);
    await this.lock.stop();
  }

  /** Asks for a reconcile now (device applied or removed, replica joined); coalesces while one runs. */
  poke(): void {
    this.#reconciles.request();
  }

  /** Resolves once no reconcile or assignment send is running (for tests and shutdown). */
  async settled(): Promise<void> {
    while (this.#reconciles.busy || this.#sends.size > 0) {
      await this.#reconciles.settled();
      await Promise.allSettled([...this.#sends]);
    }
  }

  #onHeartbeat(heartbeat: Heartbeat): void {
    if (!this.tracker.accepts(heartbeat.replica)) return;
    const now = Date.now();
    const { joined, changed } = this.tracker.record(heartbeat, now);
    if (joined) this.logger.log({ msg: 'replica joined', replica: heartbeat.replica, url: heartbeat.url });
    if (!this.lock.leading) return;
    this.#noteStatus(heartbeat, now);
    if (changed) this.poke();
  }

  #noteStatus(heartbeat: Heartbeat, now: number): void {
    for (const device of heartbeat.devices) {
      const key = `${deviceKey(device.tenant, device.device)}#${heartbeat.replica}`;
      const detail = device.detail ?? null;
      const written = this.#writtenStatus.get(key);
      const due =
        !written ||
        written.status !== device.status ||
        written.detail !== detail ||
        now - written.at >= this.config.CONNECTOR_STATUS_WRITE_MS;
      if (!due) continue;
      this.#pendingStatus.set(key, {
        tenant: device.tenant,
        device: device.device,
        replica: heartbeat.replica,
        status: device.status,
        detail,
        counters: device.counters,
        lastSeen: new Date(now),
      });
    }
  }

  async #flushStatus(): Promise<void> {
    if (this.#pendingStatus.size === 0) return;
    const batch = [...this.#pendingStatus];
    this.#pendingStatus.clear();
    await this.devices.writeStatuses(batch.map(([, row]) => row));
    for (const [key, row] of batch)
      this.#writtenStatus.set(key, { status: row.status, detail: row.detail, at: row.lastSeen.getTime() });
  }

  #resetLeaderState(): void {
    this.#placement = undefined;
    this.#sent.clear();
    this.#deviceMarker = undefined;
    this.#pendingStatus.clear();
  }

  async #reconcile(): Promise<void> {
    await this.#flushStatus();
    const marker = await this.devices.changeMarker();
    if (marker !== this.#deviceMarker) {
      const all = await this.devices.all();
      this.#devices = new Map(all.map((d) => [deviceKey(d.tenant, d.id), d]));
      this.#deviceMarker = marker;
    }
    if (!this.#placement) await this.#loadAssignments();
    const placement = this.#placement ?? new Map<string, string>();

    const now = Date.now();
    this.tracker.prune(now);
    const replicas = this.tracker.list();
    const views: DeviceView[] = [...this.#devices].map(([key, d]) => ({
      key,
      protocol: d.protocol,
      everywhere: runsEverywhere(d),
    }));
    const plan = planAssignment(replicas, views, placement, now, this.config.CONNECTOR_LEASE_MS);
    this.#placement = plan.placement;

    // Which live (or draining) replica still runs each single-replica device, by what it acknowledged.
    const holder = new Map<string, string>();
    for (const replica of replicas) {
      if (this.tracker.state(replica, now) === 'dead') continue;
      const sent = this.#sent.get(replica.id);
      // A restarted replica runs nothing of what its previous process acknowledged.
      if (!sent || (sent.appliedBy !== undefined && sent.appliedBy !== replica.heartbeat.startedAt)) continue;
      for (const entry of sent.applied) {
        const device = this.#devices.get(entryKey(entry));
        if (device && !runsEverywhere(device)) holder.set(entryKey(entry), replica.id);
      }
    }
    const waiting = new Set<string>();

    for (const replica of replicas) {
      const state = this.tracker.state(replica, now);
      if (state === 'dead') {
        if (this.#sent.has(replica.id)) {
          this.logger.warn({ msg: 'replica lease expired; its devices move', replica: replica.id });
          this.#sent.delete(replica.id);
          await this.assignments.remove(replica.id);
        }
        continue;
      }
      // Draining replicas are sent an empty assignment: their devices start elsewhere.
      const keys = plan.assignment.get(replica.id) ?? [];
      const entries = keys.flatMap((key) => {
        const device = this.#devices.get(key);
        return device ? [`${key}@${device.revision}`] : [];
      });
      const sent = this.#sent.get(replica.id);
      if (sent && sent.startedAt === undefined && sent.acknowledged) {
        // Loaded from the database: the replica has it only if it says it applied that version.
        if (replica.heartbeat.assignmentVersion === sent.version)
          sent.startedAt = replica.heartbeat.startedAt;
        else sent.acknowledged = false;
      }
      const same = sent !== undefined && sent.entries.join('\n') === entries.join('\n');
      const current = same && sent.acknowledged && sent.startedAt === replica.heartbeat.startedAt;
      if (current || sent?.inFlight) continue;
      if (same && !sent.acknowledged && now < sent.retryAt) continue;
      // A device moving between two live replicas starts on the new one only once the old one has
      // acknowledged an assignment without it, so the two never run it at once (for MQTT: the old
      // replica hands the broker session over cleanly instead of having it taken over). A holder
      // that does not let go within a lease is passed over.
      const blocked = keys.filter((key) => {
        const from = holder.get(key);
        if (from === undefined || from === replica.id) return false;
        waiting.add(key);
        const since = this.#handoverSince.get(key) ?? now;
        this.#handoverSince.set(key, since);
        return now - since < this.config.CONNECTOR_LEASE_MS;
      });
      if (blocked.length > 0) continue;
      this.#send(replica.id, replica.heartbeat.startedAt, entries);
    }
    for (const key of this.#handoverSince.keys()) if (!waiting.has(key)) this.#handoverSince.delete(key);
    // Rows of replicas this instance no longer tracks at all (forgotten or from another site).
    for (const row of await this.assignments.all())
      if (!this.tracker.get(row.replica) && this.tracker.accepts(row.replica))
        await this.assignments.remove(row.replica);
  }

  async #loadAssignments(): Promise<void> {
    const placement = new Map<string, string>();
    for (const row of await this.assignments.all()) {
      if (!this.tracker.accepts(row.replica)) continue;
      for (const entry of row.devices) {
        const key = entryKey(entry);
        const device = this.#devices.get(key);
        if (device && !runsEverywhere(device)) placement.set(key, row.replica);
      }
      this.#sent.set(row.replica, {
        version: row.version,
        entries: row.devices,
        acknowledged: row.acknowledged,
        startedAt: undefined,
        inFlight: false,
        retryAt: 0,
        applied: row.acknowledged ? row.devices : [],
        appliedBy: undefined,
      });
    }
    this.#placement = placement;
  }

  #send(replica: string, startedAt: string, entries: string[]): void {
    const bus = this.bus;
    if (!bus) return;
    const state: SendState = {
      version: 0,
      entries,
      acknowledged: false,
      startedAt: undefined,
      inFlight: true,
      retryAt: Number.POSITIVE_INFINITY,
      applied: this.#sent.get(replica)?.applied ?? [],
      appliedBy: this.#sent.get(replica)?.appliedBy,
    };
    this.#sent.set(replica, state);
    const devices = entries.flatMap((entry) => {
      const device = this.#devices.get(entryKey(entry));
      return device ? [device] : [];
    });
    const sending = (async () => {
      try {
        state.version = await this.assignments.nextVersion();
        await this.assignments.save(replica, state.version, entries);
        const reply = await bus.request(subjects.connectorAssign, {
          tokens: { replica },
          value: { replica, version: state.version, devices },
          timeoutMs: this.config.CONNECTOR_ASSIGN_TIMEOUT_MS,
        });
        if (reply.replica !== replica) {
          throw new Error(`replica ${reply.replica} answered an assignment meant for ${replica}`);
        }
        await this.assignments.acknowledge(replica, state.version);
        state.acknowledged = true;
        state.startedAt = startedAt;
        state.applied = entries;
        state.appliedBy = startedAt;
        this.logger.log({
          msg: 'assignment applied',
          replica,
          version: state.version,
          devices: entries.length,
          running: reply.running.length,
          rejected: reply.rejected,
        });
      } catch (error) {
        state.retryAt = Date.now() + RETRY_MS;
        this.logger.warn({
          msg: 'assignment not acknowledged; sending again',
          replica,
          version: state.version,
          err: (error as Error).message,
        });
      } finally {
        state.inFlight = false;
      }
      // A replica waiting for this one to let a device go can be sent its assignment now.
      if (state.acknowledged) this.poke();
    })();
    this.#sends.add(sending);
    void sending.finally(() => this.#sends.delete(sending));
  }
}
