import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { assignmentReplySchema, assignmentSchema, DeviceSpec } from '@openfoundry/bus-registry';
import { InjectConfig, ValidationError } from '@openfoundry/service-kit';
import type { z } from 'zod';
import type { ConnectorConfig } from '../config.ts';
import { AssetSink } from '../ingest/asset-sink.ts';
import { HttpDevice } from '../protocols/http/http-device.ts';
import { MqttDevice } from '../protocols/mqtt/mqtt-device.ts';
import { OpcuaDevice } from '../protocols/opcua/opcua-device.ts';
import type { DeviceRuntime, RuntimeDeps } from './device-runtime.ts';

export type Assignment = z.infer<typeof assignmentSchema.zod>;
export type AssignmentReply = z.infer<typeof assignmentReplySchema.zod>;

const keyOf = (spec: { tenant: string; id: string }) => `${spec.tenant}/${spec.id}`;

/**
 * The running device set of this replica. Every assignment replaces it as a whole: devices not in
 * it stop, new ones start, changed ones (another revision) restart. Nothing is stored: after a
 * restart the coordinator sends the assignment again.
 */
@Injectable()
export class DeviceManager implements OnApplicationShutdown {
  private readonly logger = new Logger(DeviceManager.name);
  private readonly devices = new Map<string, DeviceRuntime>();
  private appliedVersion = 0;
  private lastRejected: AssignmentReply['rejected'] = [];
  /** Assignments apply one at a time, in arrival order. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly deps: RuntimeDeps;

  constructor(
    sink: AssetSink,
    @InjectConfig() private readonly config: ConnectorConfig,
  ) {
    this.deps = {
      sink,
      replica: config.CONNECTOR_REPLICA_ID,
      maxFutureSkewMs: config.CONNECTOR_MAX_FUTURE_SKEW_MS,
      maxAgeMs: config.CONNECTOR_MAX_AGE_MS,
      opcuaPkiDir: config.CONNECTOR_OPCUA_PKI_DIR,
      log: (level, message, fields = {}) =>
        this.logger[level === 'info' ? 'log' : level]({ msg: message, ...fields }),
    };
  }

  get version(): number {
    return this.appliedVersion;
  }

  all(): DeviceRuntime[] {
    return [...this.devices.values()];
  }

  get(tenant: string, device: string): DeviceRuntime | undefined {
    return this.devices.get(`${tenant}/${device}`);
  }

  apply(assignment: Assignment): Promise<AssignmentReply> {
    const next = this.queue.then(() => this.applyNow(assignment));
    this.queue = next.catch(() => {});
    return next;
  }

  private async applyNow(assignment: Assignment): Promise<AssignmentReply> {
    if (assignment.replica !== this.config.CONNECTOR_REPLICA_ID) {
      throw new ValidationError(
        `this is replica ${this.config.CONNECTOR_REPLICA_ID}, not ${assignment.replica}`,
        [{ path: 'replica', message: 'names another replica' }],
      );
    }
    if (assignment.version < this.appliedVersion) {
      this.logger.warn({
        msg: 'ignored an older assignment',
        version: assignment.version,
        applied: this.appliedVersion,
      });
      return this.reply();
    }
    const rejected: AssignmentReply['rejected'] = [];
    const wanted = new Map<string, DeviceSpec>();
    for (const spec of assignment.devices) {
      const reason = this.rejection(spec, wanted);
      if (reason) rejected.push({ tenant: spec.tenant, device: spec.id, reason });
      else wanted.set(keyOf(spec), spec);
    }
    const stopping: Promise<void>[] = [];
    for (const [key, runtime] of this.devices) {
      const spec = wanted.get(key);
      if (spec && spec.revision === runtime.spec.revision && spec.protocol === runtime.spec.protocol)
        continue;
      this.devices.delete(key);
      stopping.push(this.stopDevice(runtime));
    }
    await Promise.all(stopping);
    for (const [key, spec] of wanted) {
      if (this.devices.has(key)) continue;
      const runtime = this.create(spec);
      try {
        await runtime.start();
        this.devices.set(key, runtime);
      } catch (error) {
        rejected.push({ tenant: spec.tenant, device: spec.id, reason: (error as Error).message });
        await runtime.stop().catch(() => {});
      }
    }
    this.appliedVersion = assignment.version;
    this.lastRejected = rejected;
    this.logger.log({
      msg: 'assignment applied',
      version: assignment.version,
      running: this.devices.size,
      rejected: rejected.length,
    });
    return this.reply();
  }

  private reply(): AssignmentReply {
    return {
      replica: this.config.CONNECTOR_REPLICA_ID,
      version: this.appliedVersion,
      running: [...this.devices.keys()],
      rejected: this.lastRejected,
    };
  }

  private rejection(spec: DeviceSpec, wanted: Map<string, DeviceSpec>): string | undefined {
    if (wanted.has(keyOf(spec))) return 'the device appears twice in the assignment';
    if (!this.config.CONNECTOR_PROTOCOLS.includes(spec.protocol))
      return `this replica does not run ${spec.protocol} devices`;
    if (spec.protocol === 'mqtt' && !/^mqtts?:\/\//.test(spec.endpoint ?? ''))
      return 'an MQTT device needs an mqtt:// or mqtts:// endpoint';
    if (spec.protocol === 'opcua' && !/^opc\.tcp:\/\//.test(spec.endpoint ?? ''))
      return 'an OPC UA device needs an opc.tcp:// endpoint';
    return undefined;
  }

  private create(spec: DeviceSpec): DeviceRuntime {
    switch (spec.protocol) {
      case 'mqtt':
        return new MqttDevice(spec, this.deps);
      case 'opcua':
        return new OpcuaDevice(spec, this.deps);
      case 'http':
        return new HttpDevice(spec, this.deps);
    }
  }

  private async stopDevice(runtime: DeviceRuntime): Promise<void> {
    try {
      await runtime.stop();
    } catch (error) {
      this.logger.warn({
        msg: 'device did not stop cleanly',
        device: runtime.key,
        err: (error as Error).message,
      });
    }
  }

  /** Stops every device (graceful shutdown): no device data arrives after this resolves. */
  async stopAll(): Promise<void> {
    const running = [...this.devices.values()];
    this.devices.clear();
    await Promise.all(running.map((r) => this.stopDevice(r)));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stopAll();
  }
}
