import { Controller, Delete, Get, HttpCode, Patch, Post } from '@nestjs/common';
import { ApiOperation, ZodBody, ZodParam, ZodQuery } from '@openfoundry/service-kit';
import type { z } from 'zod';
import {
  type CreateTenant,
  createTenantSchema,
  deleteTenantQuerySchema,
  effectiveSettingsSchema,
  type ListTenantsQuery,
  listTenantsQuerySchema,
  type PageQuery,
  pageQuerySchema,
  slugSchema,
  tenantIdSchema,
  tenantListSchema,
  tenantPageSchema,
  tenantSchema,
  type UpdateTenant,
  updateTenantSchema,
} from './dto/tenant.dto.ts';
import type { EffectiveSettings } from './settings.ts';
import type { Tenant, TenantPage } from './tenant.ts';
import { TenantsService } from './tenants.service.ts';

const badRequest = {
  400: 'Invalid body, query or id (VALIDATION_FAILED with field errors, or MALFORMED_JSON)',
};
const notFound = { 404: 'No tenant with this id (TENANT_NOT_FOUND)' };

@Controller('tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Post()
  @ApiOperation({
    summary: 'Create a tenant, optionally under a parent',
    response: { status: 201, schema: tenantSchema, description: 'The created tenant' },
    errors: {
      ...badRequest,
      404: 'The parent does not exist (PARENT_NOT_FOUND)',
      409: 'Slug taken (TENANT_SLUG_TAKEN) or the tree would be too deep (TENANT_TOO_DEEP)',
      413: 'Body too large',
      415: 'Body is not application/json',
    },
  })
  create(@ZodBody(createTenantSchema) body: CreateTenant): Promise<Tenant> {
    return this.tenants.create(body);
  }

  @Get()
  @ApiOperation({
    summary: 'List tenants by slug, a page at a time',
    response: { schema: tenantPageSchema },
    errors: badRequest,
  })
  list(@ZodQuery(listTenantsQuerySchema) query: ListTenantsQuery): Promise<TenantPage> {
    return this.tenants.list(query);
  }

  @Get('by-slug/:slug')
  @ApiOperation({
    summary: 'Find a tenant by its slug',
    response: { schema: tenantSchema },
    errors: { ...badRequest, ...notFound },
  })
  getBySlug(@ZodParam('slug', slugSchema) slug: string): Promise<Tenant> {
    return this.tenants.getBySlug(slug);
  }

  @Get(':id')
  @ApiOperation({
    summary: 'Get a tenant',
    response: { schema: tenantSchema },
    errors: { ...badRequest, ...notFound },
  })
  get(@ZodParam('id', tenantIdSchema) id: string): Promise<Tenant> {
    return this.tenants.get(id);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Rename, move or change the settings of a tenant',
    description:
      'settings are merged as a JSON Merge Patch (RFC 7396) unless settingsMode is "replace". ' +
      'Moving checks for cycles and depth under a lock, so concurrent moves cannot build a cycle.',
    response: { schema: tenantSchema },
    errors: {
      ...badRequest,
      404: 'No tenant with this id, or the new parent does not exist',
      409: 'The new parent is the tenant or a descendant (TENANT_CYCLE), or the tree would be too deep (TENANT_TOO_DEEP)',
      413: 'Body too large',
      415: 'Body is not application/json',
    },
  })
  update(
    @ZodParam('id', tenantIdSchema) id: string,
    @ZodBody(updateTenantSchema) body: UpdateTenant,
  ): Promise<Tenant> {
    return this.tenants.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a tenant (with ?cascade=true, its whole subtree)',
    response: { status: 204, schema: null, description: 'Deleted' },
    errors: {
      ...badRequest,
      ...notFound,
      409: 'The tenant has children and cascade is not set (TENANT_HAS_CHILDREN)',
    },
  })
  async delete(
    @ZodParam('id', tenantIdSchema) id: string,
    @ZodQuery(deleteTenantQuerySchema) query: z.output<typeof deleteTenantQuerySchema>,
  ): Promise<void> {
    await this.tenants.delete(id, { cascade: query.cascade });
  }

  @Get(':id/children')
  @ApiOperation({
    summary: 'The direct children of a tenant',
    response: { schema: tenantPageSchema },
    errors: { ...badRequest, ...notFound },
  })
  children(
    @ZodParam('id', tenantIdSchema) id: string,
    @ZodQuery(pageQuerySchema) query: PageQuery,
  ): Promise<TenantPage> {
    return this.tenants.children(id, query);
  }

  @Get(':id/ancestors')
  @ApiOperation({
    summary: 'The ancestors of a tenant, parent first and root last',
    response: { schema: tenantListSchema },
    errors: { ...badRequest, ...notFound },
  })
  async ancestors(@ZodParam('id', tenantIdSchema) id: string): Promise<{ items: Tenant[] }> {
    return { items: await this.tenants.ancestors(id) };
  }

  @Get(':id/settings/effective')
  @ApiOperation({
    summary: 'Settings as the tenant sees them: its own deep-merged over its ancestors (child wins)',
    response: { schema: effectiveSettingsSchema },
    errors: { ...badRequest, ...notFound },
  })
  effectiveSettings(@ZodParam('id', tenantIdSchema) id: string): Promise<EffectiveSettings> {
    return this.tenants.effectiveSettings(id);
  }
}
