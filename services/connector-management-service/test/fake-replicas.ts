import { randomBytes } from 'node:crypto';
import {
  type CommandOutcome,
  type CommandToRecord,
  type DEVICE_STATUSES,
  type DeviceCommand,
  type DeviceSpec,
  subjects,
} from '@openfoundry/bus-registry';
import { ControlBus } from '@openfoundry/event-bus-control';
import type { Protocol } from '../src/replicas/assignment.ts';
import { controlBusAs } from './bus-env.ts';

type DeviceStatus = (typeof DEVICE_STATUSES)[number];

/** A unique prefix per test run, so this run's coordinator ignores everyone else's replicas. */
export const runPrefix = () => `t${randomBytes(4).toString('hex')}`;

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A connector replica played over real NATS as the connector-service identity. */
export class FakeReplica {
  readonly startedAt = new Date().toISOString();
  assignmentVersion = 0;
  devices: DeviceSpec[] = [];
  /** Every assignment version received, in order. */
  readonly versions: number[] = [];
  accepting = true;
  /** How long applying an assignment takes (a real replica stops and starts devices first). */
  applyDelayMs = 0;
  /** When each assignment was applied, and the device keys it left running. */
  readonly applied: { at: number; keys: string[] }[] = [];
  readonly status = new Map<string, DeviceStatus>();
  onCommand: (command: DeviceCommand) => Promise<CommandOutcome> = async (command) => ({
    commandId: command.commandId,
    status: 'acknowledged',
    result: { written: command.arguments },
    completedAt: new Date().toISOString(),
  });
  /** Runs before a command the coordinator answered is taken as recorded; throw to refuse it. */
  onRecord: (record: CommandToRecord) => Promise<void> = async () => undefined;
  /** Every command the coordinator answered that this replica took as recorded, in order. */
  readonly recorded: CommandToRecord[] = [];
  /** Resolves once its assign and command handlers are subscribed. */
  ready: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly host: FakeReplicas,
    readonly id: string,
    readonly protocols: Protocol[],
  ) {}

  get deviceKeys(): string[] {
    return this.devices.map((d) => `${d.tenant}/${d.id}`).sort();
  }

  /** Starts heartbeating (every 200 ms) once it answers its subjects. */
  start(): this {
    void this.ready.then(() => {
      if (!this.host.replicas.has(this.id)) return;
      void this.beat();
      this.#timer = setInterval(() => void this.beat(), 200);
    });
    return this;
  }

  /** Stops heartbeating and answering, as a replica that died. */
  kill(): void {
    clearInterval(this.#timer);
    this.host.replicas.delete(this.id);
  }

  async beat(): Promise<void> {
    await this.host.heartbeats
      .publish({
        tokens: { replica: this.id },
        value: {
          replica: this.id,
          protocols: this.protocols,
          url: `http://127.0.0.1:1/${this.id}`,
          startedAt: this.startedAt,
          at: new Date().toISOString(),
          assignmentVersion: this.assignmentVersion,
          accepting: this.accepting,
          devices: this.devices.map((d) => ({
            tenant: d.tenant,
            device: d.id,
            status: this.status.get(`${d.tenant}/${d.id}`) ?? 'online',
            counters: { received: 7, published: 6, deadLettered: 1, commands: 0 },
          })),
        },
      })
      .catch(() => undefined);
  }
}

/** One control-bus connection answering for every fake replica of a test file. */
export class FakeReplicas {
  readonly replicas = new Map<string, FakeReplica>();
  private constructor(
    readonly bus: ControlBus,
    readonly heartbeats: ReturnType<ControlBus['publisher']>,
  ) {}

  static async connect(): Promise<FakeReplicas> {
    const bus = await controlBusAs('connector-service');
    return new FakeReplicas(bus, bus.publisher(subjects.connectorHeartbeat));
  }

  /**
   * A replica answering its own subjects only, as connector-service does: a wildcard handler would
   * join the connector-service queue group on every replica's subjects and take requests meant for
   * real replicas running on this NATS.
   */
  add(id: string, protocols: Protocol[] = ['mqtt', 'opcua', 'http']): FakeReplica {
    const replica = new FakeReplica(this, id, protocols);
    this.replicas.set(id, replica);
    const mine = { tokens: { replica: id } };
    const assign = this.bus.handle(
      subjects.connectorAssign,
      async (request) => {
        if (!this.replicas.has(id)) throw new Error(`no replica ${id} here`);
        if (replica.applyDelayMs > 0)
          await new Promise((resolve) => setTimeout(resolve, replica.applyDelayMs));
        if (request.value.version > replica.assignmentVersion) {
          replica.devices = request.value.devices;
          replica.assignmentVersion = request.value.version;
          replica.applied.push({ at: Date.now(), keys: replica.deviceKeys });
        }
        replica.versions.push(request.value.version);
        return {
          replica: replica.id,
          version: replica.assignmentVersion,
          running: replica.deviceKeys,
          rejected: [],
        };
      },
      mine,
    );
    const command = this.bus.handle(
      subjects.connectorCommand,
      async (request) => {
        if (!this.replicas.has(id)) throw new Error(`no replica for ${request.source}`);
        return replica.onCommand(request.value);
      },
      mine,
    );
    const record = this.bus.handle(
      subjects.connectorCommandRecord,
      async (request) => {
        if (!this.replicas.has(id)) throw new Error(`no replica for ${request.source}`);
        await replica.onRecord(request.value);
        replica.recorded.push(request.value);
        return { commandId: request.value.command.commandId, recorded: true as const, replica: id };
      },
      mine,
    );
    replica.ready = Promise.all([assign.ready, command.ready, record.ready]).then(() => undefined);
    return replica;
  }

  async close(): Promise<void> {
    for (const replica of this.replicas.values()) replica.kill();
    await this.bus.close();
  }
}
