import { Controller, Delete, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ZodBody, ZodParam } from '@openfoundry/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type Caller, CurrentCaller } from '../auth/caller.ts';
import { answeredHead, CatalogRoutes } from '../http/catalog-route.ts';
import { tableIdentifierSchema } from '../metadata/commit.schema.ts';
import { namespaceParamSchema, tableNameSchema } from '../namespaces/namespace-path.ts';
import {
  type CommitViewRequest,
  type CreateViewRequest,
  commitViewRequestSchema,
  createViewRequestSchema,
} from './view-metadata.ts';
import { type LoadViewResult, ViewsService } from './views.service.ts';

const prefixSchema = z.string().min(1);
const loadViewResultSchema = z.object({
  'metadata-location': z.string(),
  metadata: z.record(z.string(), z.unknown()),
  config: z.record(z.string(), z.string()),
});
const registerViewSchema = z.object({ name: tableNameSchema, 'metadata-location': z.string().min(1) });

const ERRORS =
  'Errors use the Iceberg error model {"error": {"message", "type", "code"}}: 400 BadRequestException, ' +
  "401 NotAuthorizedException, 403 ForbiddenException (another tenant's namespace or location), " +
  '404 NoSuchNamespaceException or NoSuchViewException';

@Controller('v1/:prefix/namespaces/:namespace')
@CatalogRoutes()
export class ViewsController {
  constructor(private readonly views: ViewsService) {}

  @Get('views')
  @ApiOperation({
    summary: 'List the views of a namespace',
    description: ERRORS,
    response: { schema: z.object({ identifiers: z.array(tableIdentifierSchema) }) },
  })
  list(
    @ZodParam('prefix', prefixSchema) _prefix: string,
    @ZodParam('namespace', namespaceParamSchema) namespace: string[],
    @CurrentCaller() caller: Caller,
  ) {
    return this.views.list(caller, namespace);
  }

  @Post('views')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Create a view',
    description: `${ERRORS}, 409 AlreadyExistsException (a table or view of that name exists)`,
    response: { status: 200, schema: loadViewResultSchema },
  })
  create(
    @ZodParam('prefix', prefixSchema) _prefix: string,
    @ZodParam('namespace', namespaceParamSchema) namespace: string[],
    @ZodBody(createViewRequestSchema) body: CreateViewRequest,
    @CurrentCaller() caller: Caller,
  ): Promise<LoadViewResult> {
    tableNameSchema.parse(body.name);
    return this.views.create(caller, namespace, body);
  }

  @Post('register-view')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Register an existing view metadata file as a view',
    description: `${ERRORS}, 409 AlreadyExistsException`,
    response: { status: 200, schema: loadViewResultSchema },
  })
  register(
    @ZodParam('prefix', prefixSchema) _prefix: string,
    @ZodParam('namespace', namespaceParamSchema) namespace: string[],
    @ZodBody(registerViewSchema) body: z.output<typeof registerViewSchema>,
    @CurrentCaller() caller: Caller,
  ): Promise<LoadViewResult> {
    return this.views.register(caller, namespace, body);
  }

  @Get('views/:view')
  @ApiOperation({
    summary: 'Load a view (HEAD: whether it exists, 204 or 404)',
    description: ERRORS,
    response: { schema: loadViewResultSchema },
  })
  async load(
    @ZodParam('prefix', prefixSchema) _prefix: string,
    @ZodParam('namespace', namespaceParamSchema) namespace: string[],
    @ZodParam('view', tableNameSchema) name: string,
    @CurrentCaller() caller: Caller,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<LoadViewResult | undefined> {
    if (request.method === 'HEAD') {
      await this.views.exists(caller, { namespace, name });
      answeredHead(request, reply);
      return undefined;
    }
    return this.views.load(caller, { namespace, name });
  }

  @Post('views/:view')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Replace a view: requirements and updates, compare-and-swap on its metadata location',
    description: `${ERRORS}, 409 CommitFailedException`,
    response: { status: 200, schema: loadViewResultSchema },
  })
  commit(
    @ZodParam('prefix', prefixSchema) _prefix: string,
    @ZodParam('namespace', namespaceParamSchema) namespace: string[],
    @ZodParam('view', tableNameSchema) name: string,
    @ZodBody(commitViewRequestSchema) body: CommitViewRequest,
    @CurrentCaller() caller: Caller,
  ): Promise<LoadViewResult> {
    return this.views.commit(caller, { namespace, name }, body);
  }

  @Delete('views/:view')
  @HttpCode(204)
  @ApiOperation({ summary: 'Drop a view', description: ERRORS, response: { status: 204, schema: null } })
  async drop(
    @ZodParam('prefix', prefixSchema) _prefix: string,
    @ZodParam('namespace', namespaceParamSchema) namespace: string[],
    @ZodParam('view', tableNameSchema) name: string,
    @CurrentCaller() caller: Caller,
  ): Promise<void> {
    await this.views.drop(caller, { namespace, name });
  }
}
