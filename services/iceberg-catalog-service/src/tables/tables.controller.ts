import { Controller, Delete, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ZodBody, ZodParam, ZodQuery } from '@openfoundry/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type Caller, CurrentCaller } from '../auth/caller.ts';
import { answeredHead, CatalogRoutes } from '../http/catalog-route.ts';
import { type PageQuery, pageQuerySchema } from '../http/paging.ts';
import {
  type CommitTableRequest,
  type CommitTransactionRequest,
  type CreateTableRequest,
  commitTableRequestSchema,
  commitTransactionRequestSchema,
  createTableRequestSchema,
  tableIdentifierSchema,
} from '../metadata/commit.schema.ts';
import { namespaceParamSchema, tableNameSchema } from '../namespaces/namespace-path.ts';
import { ViewsService } from '../views/views.service.ts';
import { type CommitTableResult, type LoadTableResult, TablesService } from './tables.service.ts';

const prefixSchema = z.string().min(1);
const loadQuerySchema = z.object({
  snapshots: z
    .enum(['all', 'refs'])
    .default('all')
    .meta({ description: 'refs: only the snapshots a branch or tag points at' }),
});
const dropQuerySchema = z.object({
  // PyIceberg sends Python's spelling (True/False); the spec's is true/false.
  purgeRequested: z
    .string()
    .default('false')
    .transform((value) => value.toLowerCase())
    .pipe(z.enum(['true', 'false']))
    .transform((value) => value === 'true')
    .meta({ description: "Also delete the table's files from the warehouse" }),
});
const registerSchema = z.object({
  name: tableNameSchema,
  'metadata-location': z.string().min(1),
  overwrite: z.boolean().optional(),
});
const renameSchema = z.object({ source: tableIdentifierSchema, destination: tableIdentifierSchema });
const loadTableResultSchema = z.object({
  'metadata-location': z.string().optional(),
  metadata: z.record(z.string(), z.unknown()),
  config: z.record(z.string(), z.string()),
});
const commitResultSchema = z.object({
  'metadata-location': z.string(),
  metadata: z.record(z.string(), z.unknown()),
});

const ERRORS =
  'Errors use the Iceberg error model {"error": {"message", "type", "code"}}: 400 BadRequestException, ' +
  "401 NotAuthorizedException, 403 ForbiddenException (another tenant's namespace or location), " +
  '404 NoSuchNamespaceException or NoSuchTableException';

@Controller('v1/:prefix/namespaces/:namespace')
@CatalogRoutes()
export class TablesController {
  constructor(private readonly tables: TablesService) {}

  @Get('tables')
  @ApiOperation({
    summary: 'List the tables of a namespace',
    description: ERRORS,
    response: {
      schema: z.object({
        identifiers: z.array(tableIdentifierSchema),
        'next-page-token': z.string().optional(),
      }),
    },
  })
  list(
    @ZodParam('prefix', prefixSchema) _prefix: string,
    @ZodParam('namespace', namespaceParamSchema) namespace: string[],
    @ZodQuery(pageQuerySchema) query: PageQuery,
    @CurrentCaller() caller: Caller,
  ) {
    return this.tables.list(caller, namespace, query);
  }

  @Post('tables')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Create a table (or, with stage-create, only its metadata for a later assert-create commit)',
    description: `${ERRORS}, 409 AlreadyExistsException`,
    response: { status: 200, schema: loadTableResultSchema },
  })
  create(
    @ZodParam('prefix', prefixSchema) _prefix: string,
    @ZodParam('namespace', namespaceParamSchema) namespace: string[],
    @ZodBody(createTableRequestSchema) body: CreateTableRequest,
    @CurrentCaller() caller: Caller,
  ): Promise<LoadTableResult> {
    tableNameSchema.parse(body.name);
    return this.tables.create(caller, namespace, body);
  }

  @Post('register')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Register an existing metadata file as a table',
    description: `${ERRORS}, 409 AlreadyExistsException (unless overwrite)`,
    response: { status: 200, schema: loadTableResultSchema },
  })
  register(
    @ZodParam('prefix', prefixSchema) _prefix: string,
    @ZodParam('namespace', namespaceParamSchema) namespace: string[],
    @ZodBody(registerSchema) body: z.output<typeof registerSchema>,
    @CurrentCaller() caller: Caller,
  ): Promise<LoadTableResult> {
    return this.tables.register(caller, namespace, body);
  }

  @Get('tables/:table')
  @ApiOperation({
    summary:
      'Load a table: its metadata location, metadata and storage configuration (HEAD: whether it exists, 204 or 404)',
    description: ERRORS,
    response: { schema: loadTableResultSchema },
  })
  async load(
    @ZodParam('prefix', prefixSchema) _prefix: string,
    @ZodParam('namespace', namespaceParamSchema) namespace: string[],
    @ZodParam('table', tableNameSchema) name: string,
    @ZodQuery(loadQuerySchema) query: z.output<typeof loadQuerySchema>,
    @CurrentCaller() caller: Caller,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<LoadTableResult | undefined> {
    if (request.method === 'HEAD') {
      await this.tables.exists(caller, { namespace, name });
      answeredHead(request, reply);
      return undefined;
    }
    return this.tables.load(caller, { namespace, name }, query.snapshots);
  }

  @Post('tables/:table')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Commit requirements and updates to a table (compare-and-swap on its metadata location)',
    description: `${ERRORS}, 409 CommitFailedException (a requirement failed or another commit won: reload and retry)`,
    response: { status: 200, schema: commitResultSchema },
  })
  commit(
    @ZodParam('prefix', prefixSchema) _prefix: string,
    @ZodParam('namespace', namespaceParamSchema) namespace: string[],
    @ZodParam('table', tableNameSchema) name: string,
    @ZodBody(commitTableRequestSchema) body: CommitTableRequest,
    @CurrentCaller() caller: Caller,
  ): Promise<CommitTableResult> {
    return this.tables.commit(caller, { namespace, name }, body);
  }

  @Delete('tables/:table')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Drop a table, and with purgeRequested its files',
    description: ERRORS,
    response: { status: 204, schema: null },
  })
  async drop(
    @ZodParam('prefix', prefixSchema) _prefix: string,
    @ZodParam('namespace', namespaceParamSchema) namespace: string[],
    @ZodParam('table', tableNameSchema) name: string,
    @ZodQuery(dropQuerySchema) query: z.output<typeof dropQuerySchema>,
    @CurrentCaller() caller: Caller,
  ): Promise<void> {
    await this.tables.drop(caller, { namespace, name }, query.purgeRequested);
  }

  @Post('tables/:table/metrics')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Accept a scan or commit metrics report',
    description: ERRORS,
    response: { status: 204, schema: null },
  })
  async metrics(
    @ZodParam('prefix', prefixSchema) _prefix: string,
    @ZodParam('namespace', namespaceParamSchema) namespace: string[],
    @ZodParam('table', tableNameSchema) name: string,
    @ZodBody(z.looseObject({ 'report-type': z.string() })) _report: unknown,
    @CurrentCaller() caller: Caller,
  ): Promise<void> {
    await this.tables.exists(caller, { namespace, name });
  }
}

@Controller('v1/:prefix')
@CatalogRoutes()
export class CatalogOperationsController {
  constructor(
    private readonly tables: TablesService,
    private readonly views: ViewsService,
  ) {}

  @Post(['tables/rename', 'views/rename'])
  @HttpCode(204)
  @ApiOperation({
    summary: 'Rename or move a table (tables/rename) or a view (views/rename) within the caller tenant',
    description: `${ERRORS}, 409 AlreadyExistsException`,
    response: { status: 204, schema: null },
  })
  async rename(
    @ZodParam('prefix', prefixSchema) _prefix: string,
    @ZodBody(renameSchema) body: z.output<typeof renameSchema>,
    @CurrentCaller() caller: Caller,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    const service = request.url.includes('/views/rename') ? this.views : this.tables;
    await service.rename(caller, body.source, body.destination);
  }

  @Post('transactions/commit')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Commit changes to several tables, all or nothing',
    description: `${ERRORS}, 409 CommitFailedException (nothing was applied)`,
    response: { status: 204, schema: null },
  })
  async commitTransaction(
    @ZodParam('prefix', prefixSchema) _prefix: string,
    @ZodBody(commitTransactionRequestSchema) body: CommitTransactionRequest,
    @CurrentCaller() caller: Caller,
  ): Promise<void> {
    await this.tables.commitAll(caller, body['table-changes']);
  }
}
