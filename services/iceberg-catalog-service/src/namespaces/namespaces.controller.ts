import { Controller, Delete, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ZodBody, ZodParam, ZodQuery } from '@openfoundry/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type Caller, CurrentCaller } from '../auth/caller.ts';
import { answeredHead, CatalogRoutes } from '../http/catalog-route.ts';
import { pageQuerySchema } from '../http/paging.ts';
import { namespaceParamSchema, namespaceSchema } from './namespace-path.ts';
import { NamespacesService, type PropertiesChange } from './namespaces.service.ts';

const prefixSchema = z.string().min(1);
const propertiesSchema = z.record(z.string(), z.string());
const createNamespaceSchema = z.object({
  namespace: namespaceSchema,
  properties: propertiesSchema.default({}),
});
const updatePropertiesSchema = z.object({
  removals: z.array(z.string()).default([]),
  updates: propertiesSchema.default({}),
});
const listQuerySchema = z
  .object({
    parent: z.string().optional().meta({
      description: 'List the children of this namespace (levels joined by %1F); omitted: the roots',
    }),
  })
  .extend(pageQuerySchema.shape);
const namespaceResultSchema = z.object({ namespace: namespaceSchema, properties: propertiesSchema });

const ERRORS =
  'Errors use the Iceberg error model {"error": {"message", "type", "code"}}: 400 BadRequestException, ' +
  "401 NotAuthorizedException, 403 ForbiddenException (another tenant's namespace), 404 NoSuchNamespaceException";

@Controller('v1/:prefix/namespaces')
@CatalogRoutes()
export class NamespacesController {
  constructor(private readonly namespaces: NamespacesService) {}

  @Get()
  @ApiOperation({
    summary: "List namespaces: the caller tenant's root, or the children of a parent",
    description: ERRORS,
    response: {
      schema: z.object({ namespaces: z.array(namespaceSchema), 'next-page-token': z.string().optional() }),
    },
  })
  async list(
    @ZodParam('prefix', prefixSchema) _prefix: string,
    @ZodQuery(listQuerySchema) query: z.output<typeof listQuerySchema>,
    @CurrentCaller() caller: Caller,
  ) {
    const parent = query.parent ? namespaceParamSchema.parse(query.parent) : [];
    return this.namespaces.list(caller, parent, query);
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Create a namespace under the caller tenant (its parent must exist)',
    description: `${ERRORS}, 409 AlreadyExistsException`,
    response: { status: 200, schema: namespaceResultSchema },
  })
  async create(
    @ZodParam('prefix', prefixSchema) _prefix: string,
    @ZodBody(createNamespaceSchema) body: z.output<typeof createNamespaceSchema>,
    @CurrentCaller() caller: Caller,
  ) {
    const created = await this.namespaces.create(caller, body.namespace, body.properties);
    return { namespace: created.levels, properties: created.properties };
  }

  @Get(':namespace')
  @ApiOperation({
    summary: 'Load a namespace and its properties (HEAD: whether it exists, 204 or 404)',
    description: ERRORS,
    response: { schema: namespaceResultSchema },
  })
  async load(
    @ZodParam('prefix', prefixSchema) _prefix: string,
    @ZodParam('namespace', namespaceParamSchema) levels: string[],
    @CurrentCaller() caller: Caller,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const namespace = await this.namespaces.load(caller, levels);
    if (answeredHead(request, reply)) return undefined;
    return { namespace: namespace.levels, properties: namespace.properties };
  }

  @Delete(':namespace')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Drop an empty namespace',
    description: `${ERRORS}, 409 NamespaceNotEmptyException (it holds tables or namespaces)`,
    response: { status: 204, schema: null },
  })
  async drop(
    @ZodParam('prefix', prefixSchema) _prefix: string,
    @ZodParam('namespace', namespaceParamSchema) levels: string[],
    @CurrentCaller() caller: Caller,
  ): Promise<void> {
    await this.namespaces.drop(caller, levels);
  }

  @Post(':namespace/properties')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Set and remove namespace properties',
    description: `${ERRORS}, 422 UnprocessableEntityException (a key both set and removed)`,
    response: {
      schema: z.object({
        updated: z.array(z.string()),
        removed: z.array(z.string()),
        missing: z.array(z.string()),
      }),
    },
  })
  updateProperties(
    @ZodParam('prefix', prefixSchema) _prefix: string,
    @ZodParam('namespace', namespaceParamSchema) levels: string[],
    @ZodBody(updatePropertiesSchema) body: z.output<typeof updatePropertiesSchema>,
    @CurrentCaller() caller: Caller,
  ): Promise<PropertiesChange> {
    return this.namespaces.updateProperties(caller, levels, body);
  }
}
