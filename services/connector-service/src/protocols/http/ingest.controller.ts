import { Body, Controller, Headers, Param, Post, Res } from '@nestjs/common';
import { ApiOperation, apiSchema } from '@openfoundry/service-kit';
import { z } from 'zod';
import { NotAssignedError, OverloadedError } from './ingest.errors.ts';
import { type IngestResponse, IngestService } from './ingest.service.ts';

const ingestResponseSchema = apiSchema(
  'IngestResponse',
  z.object({
    accepted: z.number().int(),
    rejected: z.array(z.object({ index: z.number().int(), reason: z.string(), detail: z.string() })),
  }),
);

interface Reply {
  status(code: number): unknown;
  header(name: string, value: string): unknown;
}

@Controller('v1/ingest')
export class IngestController {
  constructor(private readonly ingest: IngestService) {}

  /**
   * 202 when every item was published, 207 when some were dead-lettered (listed with their index
   * and reason); either way only after Kafka acknowledged everything accepted.
   */
  @Post(':tenant/:device')
  @ApiOperation({
    summary: 'Push device data (JSON array, { events }, or NDJSON)',
    description:
      'Items: { asset?, attribute, value, ts?, seq?, quality?, unit?, kind? }. 202 when all were published; 207 (same body) when some were dead-lettered, listed with index and reason.',
    response: { status: 202, schema: ingestResponseSchema },
    errors: {
      400: 'the body is not a list of items',
      401: 'no valid bearer token',
      403: "the token is another tenant's",
      404: 'no HTTP push device of that id runs on this replica',
      413: 'the body is over BODY_LIMIT_BYTES',
      503: 'too many records wait for Kafka, or the replica has not received its devices since it started; retry after Retry-After',
    },
  })
  async push(
    @Param('tenant') tenant: string,
    @Param('device') device: string,
    @Headers('authorization') authorization: string | undefined,
    @Headers('content-type') contentType: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: Reply,
  ): Promise<IngestResponse> {
    this.ingest.authorize(authorization, tenant);
    try {
      const result = await this.ingest.ingest(tenant, device, contentType ?? '', body);
      reply.status(result.rejected.length === 0 ? 202 : 207);
      return result;
    } catch (error) {
      if (error instanceof OverloadedError || error instanceof NotAssignedError)
        reply.header('retry-after', '1');
      throw error;
    }
  }
}
