import { Controller, Get } from '@nestjs/common';
import { ApiOperation, InjectConfig, ZodQuery } from '@openfoundry/service-kit';
import { z } from 'zod';
import { NotFoundError } from '../catalog.errors.ts';
import type { CatalogConfig } from '../config.ts';
import { CatalogRoutes } from '../http/catalog-route.ts';
import { ClientStorage } from '../storage/client-storage.ts';

const configQuerySchema = z.object({ warehouse: z.string().optional() });
const configResponseSchema = z.object({
  defaults: z.record(z.string(), z.string()),
  overrides: z.record(z.string(), z.string()),
  endpoints: z.array(z.string()),
});

const ENDPOINTS = [
  'GET /v1/{prefix}/namespaces',
  'POST /v1/{prefix}/namespaces',
  'GET /v1/{prefix}/namespaces/{namespace}',
  'HEAD /v1/{prefix}/namespaces/{namespace}',
  'DELETE /v1/{prefix}/namespaces/{namespace}',
  'POST /v1/{prefix}/namespaces/{namespace}/properties',
  'GET /v1/{prefix}/namespaces/{namespace}/tables',
  'POST /v1/{prefix}/namespaces/{namespace}/tables',
  'GET /v1/{prefix}/namespaces/{namespace}/tables/{table}',
  'HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}',
  'POST /v1/{prefix}/namespaces/{namespace}/tables/{table}',
  'DELETE /v1/{prefix}/namespaces/{namespace}/tables/{table}',
  'POST /v1/{prefix}/namespaces/{namespace}/register',
  'POST /v1/{prefix}/namespaces/{namespace}/tables/{table}/metrics',
  'POST /v1/{prefix}/tables/rename',
  'POST /v1/{prefix}/transactions/commit',
  'GET /v1/{prefix}/namespaces/{namespace}/views',
  'POST /v1/{prefix}/namespaces/{namespace}/views',
  'GET /v1/{prefix}/namespaces/{namespace}/views/{view}',
  'HEAD /v1/{prefix}/namespaces/{namespace}/views/{view}',
  'POST /v1/{prefix}/namespaces/{namespace}/views/{view}',
  'DELETE /v1/{prefix}/namespaces/{namespace}/views/{view}',
  'POST /v1/{prefix}/namespaces/{namespace}/register-view',
  'POST /v1/{prefix}/views/rename',
];

@Controller('v1/config')
@CatalogRoutes()
export class CatalogConfigController {
  constructor(
    @InjectConfig() private readonly config: CatalogConfig,
    private readonly storage: ClientStorage,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'The catalog configuration a client merges over its own: URL prefix, warehouse, S3 access',
    description:
      "warehouse, when given, must name this catalog's warehouse (404 NotFoundException otherwise)",
    response: { schema: configResponseSchema },
  })
  get(
    @ZodQuery(configQuerySchema) query: z.output<typeof configQuerySchema>,
  ): z.output<typeof configResponseSchema> {
    const warehouse = this.config.OPENFOUNDRY_S3_WAREHOUSE_BUCKET;
    if (
      query.warehouse !== undefined &&
      query.warehouse !== warehouse &&
      query.warehouse !== `s3://${warehouse}`
    )
      throw new NotFoundError(`Unknown warehouse: ${query.warehouse}`);
    return {
      defaults: {},
      overrides: { prefix: warehouse, warehouse: `s3://${warehouse}`, ...this.storage.properties },
      endpoints: ENDPOINTS,
    };
  }
}
