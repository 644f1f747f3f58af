import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ZodQuery } from '@openfoundry/service-kit';
import { type CommitLogEntry, CommitsRepository } from './commits.repository.ts';
import { commitListSchema, type ListCommitsQuery, listCommitsQuerySchema, statusSchema } from './dto.ts';
import { LakehouseSinkService, type SinkStatus } from './lakehouse-sink.service.ts';

@Controller('v1')
export class SinkController {
  constructor(
    @Inject(LakehouseSinkService) private readonly sink: LakehouseSinkService,
    @Inject(CommitsRepository) private readonly commits: CommitsRepository,
  ) {}

  @Get('commits')
  @ApiOperation({
    summary: 'The Iceberg commits the sink made, newest first',
    response: { schema: commitListSchema },
    errors: { 400: 'Invalid query (VALIDATION_FAILED with field errors)' },
  })
  async list(
    @ZodQuery(listCommitsQuerySchema) query: ListCommitsQuery,
  ): Promise<{ commits: CommitLogEntry[] }> {
    return { commits: await this.commits.list(query) };
  }

  @Get('status')
  @ApiOperation({
    summary: 'What this instance has read, buffered and committed, per partition and per tenant',
    response: { schema: statusSchema },
  })
  async status(): Promise<SinkStatus & { lastCommits: CommitLogEntry[] }> {
    return { ...(await this.sink.status()), lastCommits: await this.commits.latestPerTenant() };
  }
}
