import { Body, Controller, Headers, Param, Post, Res } from '@nestjs/common';
import { ApiOperation } from '@openfoundry/service-kit';
import { OverloadedError } from './ingest.errors.ts';
import { type IngestResponse, IngestService } from './ingest.service.ts';

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
  @ApiOperation({ summary: 'Push device data (JSON array, { events }, or NDJSON)' })
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
      if (error instanceof OverloadedError) reply.header('retry-after', '1');
      throw error;
    }
  }
}
