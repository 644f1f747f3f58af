import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiOperation, ZodParam, ZodQuery } from '@openfoundry/service-kit';
import { TenantGuard } from '../auth/guards.ts';
import { AssetsService } from './assets.service.ts';
import {
  type Aggregates,
  type AggregatesQuery,
  type AssetPage,
  type AssetState,
  aggregatesQuerySchema,
  aggregatesSchema,
  assetPageSchema,
  assetParamSchema,
  assetStateSchema,
  type ListAssetsQuery,
  listAssetsQuerySchema,
  tenantParamSchema,
} from './dto/assets.dto.ts';

const auth = {
  401: 'No or unknown bearer token (UNAUTHORIZED)',
  403: 'The token acts for another tenant (FORBIDDEN)',
};
const badRequest = { 400: 'Invalid tenant, asset id or query (VALIDATION_FAILED with field errors)' };
const notFound = { 404: 'The asset has no state (ASSET_NOT_FOUND)' };

@Controller('v1/tenants/:tenant/assets')
@UseGuards(TenantGuard)
export class AssetsController {
  constructor(private readonly assets: AssetsService) {}

  @Get()
  @ApiOperation({
    summary: 'List the assets of a tenant with their attribute count and last update, by asset id',
    response: { schema: assetPageSchema },
    errors: { ...badRequest, ...auth },
  })
  list(
    @ZodParam('tenant', tenantParamSchema) tenant: string,
    @ZodQuery(listAssetsQuerySchema) query: ListAssetsQuery,
  ): Promise<AssetPage> {
    return this.assets.list(tenant, query);
  }

  @Get(':asset/state')
  @ApiOperation({
    summary: 'The current value of every attribute of an asset',
    response: { schema: assetStateSchema },
    errors: { ...badRequest, ...auth, ...notFound },
  })
  state(
    @ZodParam('tenant', tenantParamSchema) tenant: string,
    @ZodParam('asset', assetParamSchema) asset: string,
  ): Promise<AssetState> {
    return this.assets.state(tenant, asset);
  }

  @Get(':asset/aggregates')
  @ApiOperation({
    summary: 'Tumbling 1-minute or 1-hour windows of an asset, the newest first',
    description:
      'count covers every event; min, max, sum and avg only double and long values (null without any); ' +
      'last is the value with the latest source time in the window. Windows are by source time, UTC.',
    response: { schema: aggregatesSchema },
    errors: { ...badRequest, ...auth, ...notFound },
  })
  aggregates(
    @ZodParam('tenant', tenantParamSchema) tenant: string,
    @ZodParam('asset', assetParamSchema) asset: string,
    @ZodQuery(aggregatesQuerySchema) query: AggregatesQuery,
  ): Promise<Aggregates> {
    return this.assets.aggregates(tenant, asset, query);
  }
}
