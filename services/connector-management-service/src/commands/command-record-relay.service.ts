import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { BusError, BusErrorCode, subjects } from '@openfoundry/bus-registry';
import type { ControlBus } from '@openfoundry/event-bus-control';
import { InjectConfig, InjectControlBus } from '@openfoundry/service-kit';
import type { ConnectorManagementConfig } from '../config.ts';
import { OneRunAtATime } from '../one-run-at-a-time.ts';
import { type ReplicaView, replicaState } from '../replicas/assignment.ts';
import { LeaderLock } from '../replicas/leader-lock.ts';
import { ReplicaTracker } from '../replicas/replica-tracker.ts';
import { CommandsRepository, type UnrecordedCommand } from './commands.repository.ts';

/** How long one replica may take to have both events acknowledged by Kafka. */
const RECORD_TIMEOUT_MS = 10_000;

/** Refusals (by replicas, or by this service's own check before sending) after which the relay gives up on a command. */
export const MAX_RECORD_REFUSALS = 3;

/** Errors that say this one command cannot be recorded as it is, whichever replica tries. */
const COMMAND_REFUSED = new Set<string>([BusErrorCode.InvalidPayload, BusErrorCode.TooLarge]);

/** Errors that say the replica cannot record anything now, not that this one command is the problem. */
const REPLICA_DOWN = new Set<string>([
  BusErrorCode.NoResponders,
  BusErrorCode.Timeout,
  BusErrorCode.Unavailable,
  BusErrorCode.Closed,
]);

/**
 * The replicas that may record a command for the coordinator, best first: live ones before
 * draining ones (a draining replica still answers until it stops), the most recently heard first.
 */
export function recordingReplicas(replicas: readonly ReplicaView[], now: number, leaseMs: number): string[] {
  return replicas
    .map((replica) => ({ replica, state: replicaState(replica, now, leaseMs) }))
    .filter(({ state }) => state !== 'dead')
    .sort(
      (a, b) =>
        (a.state === 'live' ? 0 : 1) - (b.state === 'live' ? 0 : 1) ||
        b.replica.lastHeartbeatAt - a.replica.lastHeartbeatAt ||
        (a.replica.id < b.replica.id ? -1 : 1),
    )
    .map(({ replica }) => replica.id);
}

/**
 * Commands this service answered itself never reached a replica, and only connector-service
 * writes the asset stream: the coordinator (the leader, so one relay per database) hands each
 * one, oldest first, to a live replica on `connector.{replica}.command-record` and notes when it
 * confirmed. Without a live replica they wait; the first one that comes up records them.
 */
@Injectable()
export class CommandRecordRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CommandRecordRelay.name);
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  readonly #runs = new OneRunAtATime(() => this.#run(), {
    mayRun: () => !this.#stopped && this.bus !== null,
    onError: (error) =>
      this.logger.error({ msg: 'command record relay failed; trying again', err: error.message }),
  });

  constructor(
    @InjectConfig() private readonly config: ConnectorManagementConfig,
    @InjectControlBus() private readonly bus: ControlBus | null,
    private readonly commands: CommandsRepository,
    private readonly tracker: ReplicaTracker,
    private readonly lock: LeaderLock,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.bus) return;
    this.#timer = setInterval(() => this.poke(), this.config.CONNECTOR_RECORD_RELAY_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#runs.settled();
  }

  /** Relays what waits now; one run at a time, a poke during a run asks for another after it. */
  poke(): void {
    this.#runs.request();
  }

  async #run(): Promise<void> {
    if (!this.lock.leading) return;
    const candidates = recordingReplicas(this.tracker.list(), Date.now(), this.config.CONNECTOR_LEASE_MS);
    if (candidates.length === 0) return;
    const batch = await this.commands.unrecorded(this.config.CONNECTOR_RECORD_BATCH);
    let recorded = 0;
    for (const entry of batch) {
      if (this.#stopped || candidates.length === 0) return;
      if (await this.#record(entry, candidates)) recorded++;
    }
    // A full batch all recorded: more may wait behind it. After a failure, the interval tries again.
    if (recorded === this.config.CONNECTOR_RECORD_BATCH) this.poke();
  }

  /**
   * Tries the candidates in order until one records the command; drops from them every replica
   * that cannot record anything now. A command none records waits for the next run. A command
   * refused for what it holds is not offered to the other replicas: the refusal is noted, and at
   * the last one the relay gives up on it (it keeps the reason, `assetStream.error`) so that it
   * stops taking a place in every run.
   */
  async #record(entry: UnrecordedCommand, candidates: string[]): Promise<boolean> {
    const bus = this.bus;
    if (!bus) return false;
    const commandId = entry.command.commandId;
    for (const replica of [...candidates]) {
      try {
        await bus.request(subjects.connectorCommandRecord, {
          tokens: { replica },
          value: entry,
          timeoutMs: RECORD_TIMEOUT_MS,
        });
        await this.commands.markRecorded(commandId);
        this.logger.log({ msg: 'command recorded on the asset stream', commandId, replica });
        return true;
      } catch (error) {
        const code = error instanceof BusError ? error.code : undefined;
        this.logger.warn({
          msg: 'a replica did not record a command',
          commandId,
          replica,
          code,
          err: (error as Error).message,
        });
        if (code !== undefined && COMMAND_REFUSED.has(code)) {
          const gaveUp = await this.commands.noteRecordRefusal(
            commandId,
            `${code}: ${(error as Error).message}`.slice(0, 2_000),
            MAX_RECORD_REFUSALS,
          );
          if (gaveUp)
            this.logger.error({
              msg: 'command cannot be recorded on the asset stream; relay gave up on it',
              commandId,
              refusals: MAX_RECORD_REFUSALS,
              code,
            });
          return false;
        }
        if (code !== undefined && REPLICA_DOWN.has(code)) candidates.splice(candidates.indexOf(replica), 1);
      }
    }
    return false;
  }
}
