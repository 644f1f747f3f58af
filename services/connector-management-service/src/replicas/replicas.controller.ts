import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiOperation, apiSchema } from '@openfoundry/service-kit';
import { z } from 'zod';
import { authorizeAdmin, type Caller, CallerGuard, CurrentCaller } from '../auth/caller.ts';
import { AssignmentsRepository, entryKey } from './assignments.repository.ts';
import { CoordinatorService } from './coordinator.service.ts';
import { ReplicaTracker } from './replica-tracker.ts';

const replicaListSchema = apiSchema(
  'ReplicaList',
  z.object({
    coordinator: z.object({ leading: z.boolean() }),
    items: z.array(
      z.object({
        replica: z.string(),
        state: z.enum(['live', 'draining', 'dead']),
        url: z.string(),
        protocols: z.array(z.string()),
        startedAt: z.string(),
        lastHeartbeat: z.string(),
        assignmentVersion: z.number().int().meta({ description: 'The version the replica says it applied' }),
        assigned: z
          .object({ version: z.number().int(), acknowledged: z.boolean(), devices: z.array(z.string()) })
          .nullable(),
        devices: z.array(z.object({ tenant: z.string(), device: z.string(), status: z.string() })),
      }),
    ),
  }),
);
type ReplicaList = z.output<typeof replicaListSchema>;

@Controller('v1/replicas')
@UseGuards(CallerGuard)
export class ReplicasController {
  constructor(
    private readonly tracker: ReplicaTracker,
    private readonly assignments: AssignmentsRepository,
    private readonly coordinator: CoordinatorService,
  ) {}

  @Get()
  @ApiOperation({
    summary:
      'Connector replicas this instance hears: state, last heartbeat, assigned and running devices (admin)',
    response: { schema: replicaListSchema },
    errors: { 401: 'Missing or unknown bearer token', 403: 'Not an admin token' },
  })
  async list(@CurrentCaller() caller: Caller): Promise<ReplicaList> {
    authorizeAdmin(caller);
    const rows = new Map((await this.assignments.all()).map((row) => [row.replica, row]));
    const now = Date.now();
    return {
      coordinator: { leading: this.coordinator.leading },
      items: this.tracker.list().map((r) => {
        const row = rows.get(r.id);
        return {
          replica: r.id,
          state: this.tracker.state(r, now),
          url: r.heartbeat.url,
          protocols: [...r.protocols],
          startedAt: r.heartbeat.startedAt,
          lastHeartbeat: new Date(r.lastHeartbeatAt).toISOString(),
          assignmentVersion: r.heartbeat.assignmentVersion,
          assigned: row
            ? { version: row.version, acknowledged: row.acknowledged, devices: row.devices.map(entryKey) }
            : null,
          devices: r.heartbeat.devices.map((d) => ({ tenant: d.tenant, device: d.device, status: d.status })),
        };
      }),
    };
  }
}
