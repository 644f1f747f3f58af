import { Injectable } from '@nestjs/common';
import type { CommandOutcome, DeviceCommand } from '@openfoundry/bus-registry';
import { InjectDb } from '@openfoundry/service-kit';
import type { Kysely, Selectable } from 'kysely';
import type { CommandsTable, ConnectorManagementDatabase } from '../database.ts';
import type { CommandRecord } from './command.dto.ts';

function toRecord(row: Selectable<CommandsTable>): CommandRecord {
  const completedAt = row.completed_at ? new Date(row.completed_at) : null;
  const outcome: CommandRecord['outcome'] =
    row.status === 'pending' || !completedAt
      ? null
      : {
          commandId: row.command_id,
          status: row.status as 'acknowledged' | 'failed',
          ...(row.failure_code
            ? { failure: { code: row.failure_code as 'error', message: row.failure_message ?? '' } }
            : {}),
          ...(row.result === null || row.result === undefined ? {} : { result: row.result }),
          ...(row.device ? { device: row.device } : {}),
          ...(row.replica ? { replica: row.replica } : {}),
          completedAt: completedAt.toISOString(),
        };
  return {
    command: {
      commandId: row.command_id,
      tenant: row.tenant,
      assetId: row.asset_id,
      action: row.action as DeviceCommand['action'],
      target: row.target,
      arguments: row.arguments,
      deadline: new Date(row.deadline).toISOString(),
      requester: row.requester,
    },
    device: row.device,
    replica: row.replica,
    status: row.status as CommandRecord['status'],
    outcome,
    requestedAt: new Date(row.requested_at).toISOString(),
    completedAt: completedAt?.toISOString() ?? null,
    assetStream: outcome && {
      recordedBy: row.recorded_by_coordinator ? 'coordinator' : 'replica',
      recordedAt: row.recorded_at ? new Date(row.recorded_at).toISOString() : null,
      error: row.record_error,
    },
  };
}

/** A command the coordinator answered and no replica has recorded yet. */
export interface UnrecordedCommand {
  command: DeviceCommand;
  outcome: CommandOutcome;
}

/** Every command requested and its outcome. */
@Injectable()
export class CommandsRepository {
  constructor(@InjectDb() private readonly db: Kysely<ConnectorManagementDatabase>) {}

  /** Records a new command; false when this commandId was recorded before (a redelivery). */
  async insert(command: DeviceCommand): Promise<boolean> {
    const inserted = await this.db
      .insertInto('commands')
      .values({
        command_id: command.commandId,
        tenant: command.tenant,
        asset_id: command.assetId,
        action: command.action,
        target: command.target,
        arguments: command.arguments === undefined ? null : JSON.stringify(command.arguments),
        deadline: command.deadline,
        requester: command.requester,
      })
      .onConflict((oc) => oc.column('command_id').doNothing())
      .returning('command_id')
      .executeTakeFirst();
    return inserted !== undefined;
  }

  /** Stores the outcome; `recordedByCoordinator` when no replica ran the command (and recorded it). */
  async complete(outcome: CommandOutcome, recordedByCoordinator: boolean): Promise<void> {
    await this.db
      .updateTable('commands')
      .set({
        recorded_by_coordinator: recordedByCoordinator,
        status: outcome.status,
        device: outcome.device ?? null,
        replica: outcome.replica ?? null,
        failure_code: outcome.failure?.code ?? null,
        failure_message: outcome.failure?.message ?? null,
        result: outcome.result === undefined ? null : JSON.stringify(outcome.result),
        completed_at: outcome.completedAt,
      })
      .where('command_id', '=', outcome.commandId)
      .execute();
  }

  /** Commands the coordinator answered that wait for a replica to record them, oldest first. */
  async unrecorded(limit: number): Promise<UnrecordedCommand[]> {
    const rows = await this.db
      .selectFrom('commands')
      .selectAll()
      .where('recorded_by_coordinator', '=', true)
      .where('recorded_at', 'is', null)
      .where('record_error', 'is', null)
      .where('completed_at', 'is not', null)
      .orderBy('completed_at')
      .orderBy('command_id')
      .limit(limit)
      .execute();
    return rows.flatMap((row) => {
      const { command, outcome } = toRecord(row);
      return outcome ? [{ command, outcome }] : [];
    });
  }

  async markRecorded(commandId: string, at = new Date()): Promise<void> {
    await this.db
      .updateTable('commands')
      .set({ recorded_at: at })
      .where('command_id', '=', commandId)
      .where('recorded_at', 'is', null)
      .execute();
  }

  /**
   * Notes that a live replica refused to record this command because of the command itself. At
   * `maxRefusals` the relay gives up: the reason is kept and the command leaves the queue.
   * Returns whether it gave up.
   */
  async noteRecordRefusal(commandId: string, reason: string, maxRefusals: number): Promise<boolean> {
    const row = await this.db
      .updateTable('commands')
      .set((eb) => ({
        record_refusals: eb('record_refusals', '+', 1),
        record_error: eb
          .case()
          .when(eb('record_refusals', '+', 1), '>=', maxRefusals)
          .then(reason)
          .else(null)
          .end(),
      }))
      .where('command_id', '=', commandId)
      .where('recorded_at', 'is', null)
      .returning('record_error')
      .executeTakeFirst();
    return row?.record_error !== null && row?.record_error !== undefined;
  }

  async find(commandId: string): Promise<CommandRecord | undefined> {
    const row = await this.db
      .selectFrom('commands')
      .selectAll()
      .where('command_id', '=', commandId)
      .executeTakeFirst();
    return row && toRecord(row);
  }
}
