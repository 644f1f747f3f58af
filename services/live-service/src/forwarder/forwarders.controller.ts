import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, apiSchema } from '@openfoundry/service-kit';
import { z } from 'zod';
import { ForwarderService, type ForwarderStatus } from './forwarder.service.ts';

const forwarderStatusSchema = apiSchema(
  'ForwarderStatus',
  z.object({
    topic: z.string(),
    group: z.string(),
    instance: z.object({
      id: z.string(),
      running: z.boolean(),
      failure: z.string().nullable(),
      batches: z.number().int(),
      records: z.number().int(),
      retried: z.number().int(),
      deadLettered: z.number().int(),
      repeats: z.number().int().meta({
        description:
          'Records skipped as repeats of an earlier one (a device resend after a connector crash, ADR 0016).',
      }),
      skipped: z.number().int(),
    }),
    partitions: z.array(
      z.object({
        partition: z.number().int(),
        nextOffset: z.string().meta({ description: 'Next asset-stream offset to forward (int64 as text)' }),
        eventsForwarded: z.string(),
        eventsSkipped: z.string(),
        lastForwardedAt: z.iso.datetime(),
        lastEventIngestTime: z.iso.datetime().nullable(),
        latencyMs: z.number().nullable().meta({
          description:
            'lastForwardedAt − ingestTime of the last forwarded event: time lag behind the connectors',
        }),
        lag: z.string().nullable().meta({
          description:
            'Records on the partition not yet forwarded: its end − nextOffset (progress is saved every interval, so it may read a little high); null while no forwarder runs in this instance',
        }),
        instance: z.string(),
        updatedAt: z.iso.datetime(),
      }),
    ),
  }),
);

@Controller('v1/forwarders')
export class ForwardersController {
  constructor(@Inject(ForwarderService) private readonly forwarders: ForwarderService) {}

  @Get()
  @ApiOperation({
    summary: 'Forwarder progress per asset-stream partition, and this instance’s consumer',
    response: { schema: forwarderStatusSchema },
  })
  status(): Promise<ForwarderStatus> {
    return this.forwarders.status();
  }
}
