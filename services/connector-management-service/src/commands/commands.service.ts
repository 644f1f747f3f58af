import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import {
  type COMMAND_FAILURES,
  type CommandOutcome,
  commandSchema,
  type DeviceCommand,
  subjects,
} from '@openfoundry/bus-registry';
import {
  BusError,
  BusErrorCode,
  type ControlBus,
  type ControlSubscription,
} from '@openfoundry/event-bus-control';
import { InjectControlBus } from '@openfoundry/service-kit';
import { DevicesRepository } from '../devices/devices.repository.ts';
import { CommandNotFoundError, CommandTooLargeError } from '../errors.ts';
import { ReplicaTracker } from '../replicas/replica-tracker.ts';
import { type CommandBody, type CommandRecord, DEFAULT_COMMAND_DEADLINE_MS } from './command.dto.ts';
import { CommandRecordRelay } from './command-record-relay.service.ts';
import { CommandsRepository } from './commands.repository.ts';

export type FailureCode = (typeof COMMAND_FAILURES)[number];

/** How a failed outcome reads over HTTP. */
export const FAILURE_STATUS: Record<FailureCode, number> = {
  'unknown-asset': 404,
  offline: 503,
  'deadline-expired': 504,
  refused: 409,
  invalid: 400,
  error: 502,
};

/** How long past a command's deadline the replica's own deadline-expired answer is awaited. */
const REPLY_GRACE_MS = 1_000;

/**
 * The largest command accepted, as JSON. A command this service answers itself reaches the asset
 * stream through a replica, in one `connector.{replica}.command-record` message with its outcome:
 * the rest of that message (64 KiB, ADR 0005) is left for the outcome.
 */
export const MAX_COMMAND_BYTES = subjects.connectorCommandRecord.maxPayloadBytes - 8 * 1024;

/** Why a command is refused for its size, or undefined when it fits. */
function tooLarge(command: DeviceCommand): CommandTooLargeError | undefined {
  const bytes = Buffer.byteLength(JSON.stringify(command));
  return bytes > MAX_COMMAND_BYTES ? new CommandTooLargeError(bytes, MAX_COMMAND_BYTES) : undefined;
}

const failed = (
  command: Pick<DeviceCommand, 'commandId'>,
  code: FailureCode,
  message: string,
  extra: { device?: string; replica?: string } = {},
): CommandOutcome => ({
  commandId: command.commandId,
  status: 'failed',
  failure: { code, message },
  ...extra,
  completedAt: new Date().toISOString(),
});

/** An outcome and who records it on the asset stream: the replica that ran it, or (answeredHere) a relay. */
interface Routed {
  outcome: CommandOutcome;
  answeredHere: boolean;
}
const here = (outcome: CommandOutcome): Routed => ({ outcome, answeredHere: true });
const byReplica = (outcome: CommandOutcome): Routed => ({ outcome, answeredHere: false });

/**
 * Routes device commands (ADR 0003): to the replica running the device that maps the asset, with the
 * command's deadline as the timeout. Every command and its outcome is recorded here; on the asset
 * stream by the replica that ran it, or, when this service answered it, through the record relay.
 */
@Injectable()
export class CommandsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CommandsService.name);
  #handler: ControlSubscription | undefined;

  constructor(
    @InjectControlBus() private readonly bus: ControlBus | null,
    private readonly commands: CommandsRepository,
    private readonly devices: DevicesRepository,
    private readonly tracker: ReplicaTracker,
    private readonly relay: CommandRecordRelay,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.bus) return;
    this.#handler = this.bus.handle(subjects.deviceCommand, async (request) => {
      const tenant = request.source.split('.')[1] ?? '';
      if (request.value.tenant !== tenant)
        return failed(
          request.value,
          'invalid',
          `the command is for tenant ${request.value.tenant}, sent on ${request.source}`,
        );
      const refusal = tooLarge(request.value);
      if (refusal) return failed(request.value, 'invalid', refusal.message);
      return this.execute(request.value);
    });
    await this.#handler.ready;
  }

  /**
   * The REST envelope made whole: id, requester and a deadline 10 s from now when absent. A command
   * too large to be recorded with its outcome is refused (413).
   */
  complete(tenant: string, body: CommandBody, requester: string): DeviceCommand {
    const command = commandSchema.zod.parse({
      ...body,
      commandId: body.commandId ?? randomUUID(),
      tenant: body.tenant ?? tenant,
      deadline: body.deadline ?? new Date(Date.now() + DEFAULT_COMMAND_DEADLINE_MS).toISOString(),
      requester: body.requester ?? requester,
    });
    const refusal = tooLarge(command);
    if (refusal) throw refusal;
    return command;
  }

  async execute(command: DeviceCommand): Promise<CommandOutcome> {
    if (!(await this.commands.insert(command))) {
      const previous = await this.commands.find(command.commandId);
      if (previous?.outcome) return previous.outcome;
      return failed(command, 'invalid', `command ${command.commandId} is already in progress`);
    }
    let routed: Routed;
    try {
      routed = await this.#route(command);
    } catch (error) {
      this.logger.error({
        msg: 'command routing failed',
        commandId: command.commandId,
        err: (error as Error).message,
      });
      routed = here(failed(command, 'error', 'the command could not be routed; see the service log'));
    }
    const { outcome, answeredHere } = routed;
    await this.commands.complete(outcome, answeredHere);
    if (answeredHere) this.relay.poke();
    this.logger.log({
      msg: 'command completed',
      commandId: command.commandId,
      tenant: command.tenant,
      assetId: command.assetId,
      status: outcome.status,
      failure: outcome.failure?.code,
      replica: outcome.replica,
      recordedBy: answeredHere ? 'coordinator' : 'replica',
    });
    return outcome;
  }

  async #route(command: DeviceCommand): Promise<Routed> {
    const device = await this.devices.findByAsset(command.tenant, command.assetId);
    if (!device)
      return here(
        failed(
          command,
          'unknown-asset',
          `no device of tenant ${command.tenant} maps asset ${command.assetId}`,
        ),
      );
    const name = `${device.tenant}/${device.id}`;
    const now = Date.now();
    const running = this.tracker
      .list()
      .filter((r) => this.tracker.state(r, now) !== 'dead')
      .flatMap((r) => {
        const status = r.heartbeat.devices.find((d) => d.tenant === device.tenant && d.device === device.id);
        return status ? [{ replica: r.id, status }] : [];
      });
    // The replica reporting the device online runs it. Without one, a live replica running it still
    // gets the command: it answers offline itself (it knows better than its last heartbeat) and
    // records the command and its outcome on the asset stream, as it does for an expired deadline.
    const owner = running.find((r) => r.status.status === 'online') ?? running[0];
    if (!owner)
      return here(failed(command, 'offline', `no live replica runs device ${name}`, { device: device.id }));
    const where = { device: device.id, replica: owner.replica };
    if (!this.bus) return here(failed(command, 'offline', 'the control bus is not connected', where));
    const remaining = Date.parse(command.deadline) - Date.now();
    try {
      const outcome = await this.bus.request(subjects.connectorCommand, {
        tokens: { replica: owner.replica },
        value: command,
        // The replica enforces the deadline on the device; past it, it still needs a moment to
        // record the outcome and answer.
        timeoutMs: Math.max(remaining, 0) + REPLY_GRACE_MS,
      });
      return byReplica({ ...where, ...outcome, commandId: command.commandId });
    } catch (error) {
      const code = error instanceof BusError ? error.code : undefined;
      // The replica still runs the command after a timeout and records its own outcome.
      if (code === BusErrorCode.Timeout)
        return byReplica(
          failed(
            command,
            'deadline-expired',
            `replica ${owner.replica} did not answer before the deadline`,
            where,
          ),
        );
      if (code === BusErrorCode.NoResponders)
        return here(
          failed(command, 'offline', `replica ${owner.replica} is not listening for commands`, where),
        );
      return here(
        failed(command, 'error', `replica ${owner.replica} failed: ${(error as Error).message}`, where),
      );
    }
  }

  async get(tenant: string, commandId: string): Promise<CommandRecord> {
    const record = await this.commands.find(commandId);
    if (!record || record.command.tenant !== tenant) throw new CommandNotFoundError(tenant, commandId);
    return record;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.#handler?.close();
  }
}
