import { Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiOperation } from '@openfoundry/service-kit';
import { z } from 'zod';
import { AdminGuard } from '../auth/guards.ts';
import { AssetStreamConsumer, type ConsumerStatus } from '../projection/asset-stream.consumer.ts';

const statusSchema = z.object({
  state: z.enum(['disabled', 'stopped', 'running', 'rebuilding', 'failed']),
  failure: z.string().optional(),
  startedFrom: z.enum(['committed', 'earliest']).optional(),
  restarts: z.number().int().meta({ description: 'Restarts after the consumer gave up on a batch.' }),
  batches: z.number().int(),
  records: z.number().int(),
  applied: z.number().int(),
  skipped: z.number().int().meta({ description: 'Redelivered records already in the read models.' }),
  deadLettered: z.number().int(),
  retried: z.number().int(),
  repeats: z.number().int().meta({
    description:
      'Records skipped as repeats of an earlier one (a device resend after a connector crash, ADR 0016).',
  }),
  offsets: z
    .record(z.string(), z.string())
    .meta({ description: 'Per asset-stream partition, the next offset already in the read models.' }),
  lag: z.record(z.string(), z.string()).optional().meta({
    description:
      'Per asset-stream partition, records written but not yet in the read models (end offset minus the stored offset); absent while the consumer is stopped.',
  }),
});

const auth = {
  401: 'No or wrong admin token (UNAUTHORIZED)',
  403: 'STREAMING_ADMIN_TOKEN is not set (ADMIN_DISABLED)',
};

@Controller('v1/admin')
@UseGuards(AdminGuard)
export class AdminController {
  constructor(private readonly consumer: AssetStreamConsumer) {}

  @Get('status')
  @ApiOperation({
    summary: 'The asset-stream consumer: state, counters and the offsets stored with the read models',
    response: { schema: statusSchema },
    errors: auth,
  })
  status(): Promise<ConsumerStatus> {
    return this.consumer.status();
  }

  @Post('rebuild')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Rebuild the read models by replaying the asset stream from the beginning',
    description:
      'Stops the consumer after its current batch, empties asset_state, asset_aggregates and the stored ' +
      'offsets in one transaction, and consumes again from the earliest offsets. Answers once the replay ' +
      'has started; GET /v1/admin/status follows it.',
    response: { status: 202, schema: statusSchema },
    errors: { ...auth, 409: 'A rebuild is already running (REBUILD_IN_PROGRESS)' },
  })
  async rebuild(): Promise<ConsumerStatus> {
    await this.consumer.rebuild();
    return this.consumer.status();
  }
}
