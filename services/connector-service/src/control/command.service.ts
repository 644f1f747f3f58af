import { Injectable, Logger } from '@nestjs/common';
import {
  type AssetEvent,
  ATTRIBUTE,
  type CommandOutcome,
  type CommandToRecord,
  type DeviceCommand,
} from '@openfoundry/bus-registry';
import { InjectConfig } from '@openfoundry/service-kit';
import type { ConnectorConfig } from '../config.ts';
import { DeviceManager } from '../devices/device-manager.ts';
import type { CommandResult, DeviceRuntime } from '../devices/device-runtime.ts';
import { AssetSink } from '../ingest/asset-sink.ts';
import { uuidv7, uuidv7From } from '../ingest/uuid.ts';

type RecordKind = 'command' | 'command-result';

/** The value of a `command` event: what was asked, by whom, until when. */
const requestValue = (command: DeviceCommand) => ({
  action: command.action,
  target: command.target,
  arguments: command.arguments ?? null,
  requester: command.requester,
  deadline: command.deadline,
});

/** The value of a `command-result` event: how it ended. */
const resultValue = (outcome: CommandOutcome) => ({
  status: outcome.status,
  ...(outcome.failure ? { failure: outcome.failure } : {}),
  ...(outcome.result === undefined ? {} : { result: outcome.result }),
});

/**
 * Runs device commands forwarded by the coordinator. The command and its outcome both go to the
 * asset stream (kinds `command` and `command-result`), so the stream records who asked what of
 * which asset and what came of it. Commands the coordinator answered itself (no device maps the
 * asset, no live replica runs it) reach a replica only to be recorded the same way.
 */
@Injectable()
export class CommandService {
  private readonly logger = new Logger(CommandService.name);

  constructor(
    private readonly devices: DeviceManager,
    private readonly sink: AssetSink,
    @InjectConfig() private readonly config: ConnectorConfig,
  ) {}

  async execute(command: DeviceCommand): Promise<CommandOutcome> {
    const runtime = this.deviceFor(command.tenant, command.assetId);
    const device = runtime?.spec.id;
    await this.record(command, 'command', device, requestValue(command));
    const result = await this.run(command, runtime);
    if (runtime) runtime.counters.commands += 1;
    const outcome: CommandOutcome = {
      commandId: command.commandId,
      status: result.ok ? 'acknowledged' : 'failed',
      ...(result.ok
        ? result.result === undefined
          ? {}
          : { result: result.result }
        : { failure: { code: result.code, message: result.message } }),
      ...(device ? { device } : {}),
      replica: this.config.CONNECTOR_REPLICA_ID,
      completedAt: new Date().toISOString(),
    };
    this.logger.log({
      msg: 'device command done',
      commandId: command.commandId,
      action: command.action,
      device,
      status: outcome.status,
      failure: outcome.failure?.code,
    });
    await this.record(command, 'command-result', device, resultValue(outcome));
    return outcome;
  }

  /**
   * Records a command this replica did not run (the coordinator answered it) and its outcome;
   * resolves once Kafka acknowledged both events, throws otherwise so the coordinator tries again.
   * Both event ids derive from the commandId, the kind and the outcome's time: a retry repeats the
   * same events, which the asset stream's readers skip (ADR 0016).
   */
  async recordAnswered({ command, outcome }: CommandToRecord): Promise<void> {
    const at = Date.parse(outcome.completedAt);
    const event = (kind: RecordKind, value: Record<string, unknown>) =>
      this.event(command, kind, outcome.device, value, {
        eventId: uuidv7From(at, `${command.commandId}/${kind}/${outcome.completedAt}`),
        sourceTime: outcome.completedAt,
      });
    await this.sink.publish([
      event('command', requestValue(command)),
      event('command-result', resultValue(outcome)),
    ]);
    this.logger.log({
      msg: 'command answered by the coordinator recorded',
      commandId: command.commandId,
      failure: outcome.failure?.code,
    });
  }

  private async run(command: DeviceCommand, runtime: DeviceRuntime | undefined): Promise<CommandResult> {
    const remaining = new Date(command.deadline).getTime() - Date.now();
    if (remaining <= 0)
      return { ok: false, code: 'deadline-expired', message: 'the deadline passed before the command ran' };
    if (!runtime)
      return {
        ok: false,
        code: 'offline',
        message: `no device of ${command.tenant}/${command.assetId} runs on this replica`,
      };
    if (runtime.status !== 'online')
      return { ok: false, code: 'offline', message: `${runtime.key} is ${runtime.status}` };
    const budget = Math.min(remaining, this.config.CONNECTOR_COMMAND_TIMEOUT_MS);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<CommandResult>((resolve) => {
      timer = setTimeout(
        () =>
          resolve(
            remaining <= this.config.CONNECTOR_COMMAND_TIMEOUT_MS
              ? {
                  ok: false,
                  code: 'deadline-expired',
                  message: 'the device did not answer before the deadline',
                }
              : { ok: false, code: 'error', message: `the device did not answer within ${budget} ms` },
          ),
        budget,
      );
    });
    try {
      return await Promise.race([
        runtime
          .command(command)
          .catch((error: Error): CommandResult => ({ ok: false, code: 'error', message: error.message })),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The running device of an asset: the device itself, a device mapping it exactly, or by a topic template. */
  deviceFor(tenant: string, asset: string): DeviceRuntime | undefined {
    const ofTenant = this.devices.all().filter((d) => d.spec.tenant === tenant);
    return (
      ofTenant.find((d) => d.spec.points.some((p) => p.asset === asset)) ??
      ofTenant.find((d) => d.spec.id === asset) ??
      ofTenant.find((d) => d.spec.points.some((p) => p.asset === undefined && p.topic?.includes('{asset}')))
    );
  }

  /** One asset event of a command, recorded by this replica (`-` as the device when none maps the asset). */
  private event(
    command: DeviceCommand,
    kind: RecordKind,
    device: string | undefined,
    value: Record<string, unknown>,
    { eventId = uuidv7(), sourceTime }: { eventId?: string; sourceTime?: string } = {},
  ): AssetEvent {
    const now = new Date().toISOString();
    return {
      eventId,
      tenant: command.tenant,
      assetId: command.assetId,
      kind,
      attribute: ATTRIBUTE.test(command.target) ? command.target : 'command',
      value: { type: 'json', value },
      quality: 'good',
      sourceTime: sourceTime ?? now,
      ingestTime: now,
      source: { protocol: 'command', replica: this.config.CONNECTOR_REPLICA_ID, device: device ?? '-' },
      commandId: command.commandId,
    };
  }

  private async record(
    command: DeviceCommand,
    kind: RecordKind,
    device: string | undefined,
    value: Record<string, unknown>,
  ): Promise<void> {
    try {
      await this.sink.publish([this.event(command, kind, device, value)]);
    } catch (error) {
      this.logger.error({
        msg: 'could not record a command on the asset stream',
        commandId: command.commandId,
        kind,
        err: (error as Error).message,
      });
    }
  }
}
