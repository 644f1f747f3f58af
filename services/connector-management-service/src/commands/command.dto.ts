import {
  assetId,
  COMMAND_ACTIONS,
  commandOutcomeSchema,
  commandSchema,
  tenantId,
} from '@openfoundry/bus-registry';
import { apiSchema } from '@openfoundry/service-kit';
import { z } from 'zod';

export const DEFAULT_COMMAND_DEADLINE_MS = 10_000;

/** The command envelope over REST: the service fills commandId, requester, tenant and deadline when absent. */
export const commandBodySchema = apiSchema(
  'CommandRequest',
  z
    .object({
      commandId: z.uuid().optional(),
      tenant: tenantId.optional(),
      assetId,
      action: z.enum(COMMAND_ACTIONS),
      target: z.string().min(1).max(512),
      arguments: z.unknown(),
      deadline: z.iso.datetime({ offset: true }).optional().meta({ description: 'Default: now + 10 s' }),
      requester: z.string().min(1).max(256).optional(),
    })
    .strict(),
);
export type CommandBody = z.output<typeof commandBodySchema>;

export const commandOutcomeDto = apiSchema('CommandOutcome', commandOutcomeSchema.zod);

export const commandRecordSchema = apiSchema(
  'CommandRecord',
  z.object({
    command: commandSchema.zod,
    device: z.string().nullable(),
    replica: z.string().nullable(),
    status: z.enum(['pending', 'acknowledged', 'failed']),
    outcome: commandOutcomeSchema.zod.nullable(),
    requestedAt: z.string(),
    completedAt: z.string().nullable(),
    assetStream: z
      .object({
        recordedBy: z.enum(['replica', 'coordinator']).meta({
          description:
            'replica: the replica that ran the command recorded it and its outcome before answering; coordinator: this service answered it and hands it to a live replica to record',
        }),
        recordedAt: z.string().nullable().meta({
          description:
            'When a replica confirmed that a command this service answered is on the asset stream; null while it waits for a live replica, and for commands a replica recorded itself',
        }),
        error: z.string().nullable().meta({
          description:
            'Why this service gave up recording a command it answered: live replicas refused it 3 times for what it holds (an invalid or oversized payload); null otherwise',
        }),
      })
      .nullable()
      .meta({
        description: 'Who records the command and its outcome on the asset stream; null while pending',
      }),
  }),
);
export type CommandRecord = z.output<typeof commandRecordSchema>;
