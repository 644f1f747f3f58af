import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { BusError, BusErrorCode, type heartbeatSchema, subjects } from '@openfoundry/bus-registry';
import type { ControlBus, ControlPublisher, ControlSubscription } from '@openfoundry/event-bus-control';
import type { DataBus } from '@openfoundry/event-bus-data';
import { InjectConfig, InjectControlBus, InjectDataBus } from '@openfoundry/service-kit';
import type { z } from 'zod';
import type { ConnectorConfig } from '../config.ts';
import { DeviceManager } from '../devices/device-manager.ts';
import { CommandService } from './command.service.ts';

type Heartbeat = z.infer<typeof heartbeatSchema.zod>;

/**
 * This replica on the control bus: answers `connector.{replica}.assign`,
 * `connector.{replica}.command` and `connector.{replica}.command-record`, and announces itself on
 * `connector.{replica}.heartbeat`.
 */
@Injectable()
export class ControlPlaneService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ControlPlaneService.name);
  readonly replica: string;
  private readonly startedAt = new Date().toISOString();
  private heartbeat: ControlPublisher<Heartbeat, typeof subjects.connectorHeartbeat.name> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private acceptingDevices: boolean;
  private readonly handlers: ControlSubscription[] = [];

  constructor(
    // Null only while the OpenAPI document is built without buses.
    @InjectControlBus() private readonly control: ControlBus | null,
    @InjectDataBus() private readonly data: DataBus | null,
    @InjectConfig() private readonly config: ConnectorConfig,
    private readonly devices: DeviceManager,
    private readonly commands: CommandService,
  ) {
    this.replica = config.CONNECTOR_REPLICA_ID;
    this.acceptingDevices = config.CONNECTOR_ACCEPTING;
  }

  get url(): string {
    return this.config.CONNECTOR_PUBLIC_URL ?? `http://${this.config.HOST}:${this.config.PORT ?? 4022}`;
  }

  /** False once draining for shutdown began. */
  get accepting(): boolean {
    return this.acceptingDevices;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.control) return;
    // Each replica answers only the subjects with its own id: another replica's assignment or
    // command never reaches it (the queue group is per subscription subject).
    const mine = { tokens: { replica: this.replica } };
    this.handlers.push(
      this.control.handle(
        subjects.connectorAssign,
        async (message) => {
          this.assertMine(message.source);
          return this.devices.apply(message.value);
        },
        mine,
      ),
      this.control.handle(
        subjects.connectorCommand,
        async (message) => {
          this.assertMine(message.source);
          return this.commands.execute(message.value);
        },
        mine,
      ),
      this.control.handle(
        subjects.connectorCommandRecord,
        async (message) => {
          this.assertMine(message.source);
          await this.commands.recordAnswered(message.value);
          return {
            commandId: message.value.command.commandId,
            recorded: true as const,
            replica: this.replica,
          };
        },
        mine,
      ),
    );
    await Promise.all(this.handlers.map((h) => h.ready));
    this.heartbeat = this.control.publisher(subjects.connectorHeartbeat);
    await this.beat();
    this.timer = setInterval(() => void this.beat(), this.config.CONNECTOR_HEARTBEAT_INTERVAL_MS);
    this.logger.log({ msg: 'replica announced', replica: this.replica, url: this.url });
  }

  /** A second guard: a request for another replica is refused, never applied. */
  private assertMine(subject: string): void {
    const target = subject.split('.')[1];
    if (target !== this.replica) {
      throw new BusError(
        BusErrorCode.Unavailable,
        `replica ${this.replica} received a request for ${target}`,
        {
          replica: this.replica,
        },
      );
    }
  }

  async beat(): Promise<void> {
    if (!this.heartbeat) return;
    try {
      await this.heartbeat.publish({
        tokens: { replica: this.replica },
        value: {
          replica: this.replica,
          protocols: this.config.CONNECTOR_PROTOCOLS,
          url: this.url,
          startedAt: this.startedAt,
          at: new Date().toISOString(),
          assignmentVersion: this.devices.version,
          accepting: this.acceptingDevices,
          devices: this.devices.all().map((d) => ({
            tenant: d.spec.tenant,
            device: d.spec.id,
            status: d.status,
            ...(d.detail ? { detail: d.detail } : {}),
            counters: { ...d.counters },
          })),
        },
      });
    } catch (error) {
      this.logger.warn({ msg: 'heartbeat not sent', err: (error as Error).message });
    }
  }

  /** Draining: tell the coordinator first, then stop devices and wait for Kafka to have everything. */
  async beforeApplicationShutdown(): Promise<void> {
    this.acceptingDevices = false;
    await this.beat();
    await this.devices.stopAll();
    await this.data?.flush();
    if (this.timer) clearInterval(this.timer);
    await this.beat();
    await Promise.allSettled(this.handlers.map((h) => h.close()));
  }
}
