import { Controller, Delete, Get, HttpCode, Put, Res, UseGuards } from '@nestjs/common';
import type { DeviceSpec } from '@openfoundry/bus-registry';
import { ApiOperation, ZodBody, ZodParam, ZodQuery } from '@openfoundry/service-kit';
import type { FastifyReply } from 'fastify';
import { type Caller, CallerGuard, CurrentCaller, isAdmin } from '../auth/caller.ts';
import {
  applyResultSchema,
  type DeviceBody,
  type DeviceInspection,
  type DevicePage,
  type DevicePageQuery,
  deviceBodySchema,
  deviceInspectionSchema,
  devicePageQuerySchema,
  devicePageSchema,
  deviceParam,
  tenantParam,
} from './device.dto.ts';
import { DevicesService } from './devices.service.ts';

const auth = { 401: 'Missing or unknown bearer token', 403: "Another tenant's devices" };
const badRequest = { 400: 'Invalid path, query or body (VALIDATION_FAILED with the issues)' };
const notFound = { 404: 'No such device (DEVICE_NOT_FOUND)' };

@Controller('v1')
@UseGuards(CallerGuard)
export class DevicesController {
  constructor(private readonly devices: DevicesService) {}

  @Put('tenants/:tenant/devices/:device')
  @ApiOperation({
    summary: 'Create or replace a device (JSON or YAML body)',
    description:
      'The body is a device spec; tenant and id may be left out (the path names the device), and revision may be given to require the current one. An identical spec changes nothing and keeps its revision. application/yaml bodies are accepted too.',
    response: {
      status: 200,
      schema: applyResultSchema,
      description: 'Updated or unchanged (201 when created)',
    },
    errors: {
      ...badRequest,
      ...auth,
      409: 'revision given and not the current one (REVISION_CONFLICT)',
      413: 'Body too large, or the spec would not fit in an assignment (DEVICE_TOO_LARGE)',
      415: 'Body is neither JSON nor YAML',
    },
  })
  async apply(
    @ZodParam('tenant', tenantParam) tenant: string,
    @ZodParam('device', deviceParam) device: string,
    @ZodBody(deviceBodySchema) body: DeviceBody,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ result: string; device: DeviceSpec }> {
    const outcome = await this.devices.apply(tenant, device, body);
    void reply.status(outcome.result === 'created' ? 201 : 200);
    return outcome;
  }

  @Get('tenants/:tenant/devices')
  @ApiOperation({
    summary: "A tenant's devices by id, a page at a time",
    response: { schema: devicePageSchema },
    errors: { ...badRequest, ...auth },
  })
  list(
    @ZodParam('tenant', tenantParam) tenant: string,
    @ZodQuery(devicePageQuerySchema) query: DevicePageQuery,
  ): Promise<DevicePage> {
    return this.devices.list(tenant, query);
  }

  @Get('devices')
  @ApiOperation({
    summary: 'Every device the caller may see (its tenant; all tenants for an admin token)',
    response: { schema: devicePageSchema },
    errors: { ...badRequest, 401: auth[401] },
  })
  listAll(
    @CurrentCaller() caller: Caller,
    @ZodQuery(devicePageQuerySchema) query: DevicePageQuery,
  ): Promise<DevicePage> {
    return this.devices.list(isAdmin(caller) ? undefined : caller.tenant, query);
  }

  @Get('tenants/:tenant/devices/:device')
  @ApiOperation({
    summary: 'Inspect a device: spec, revision, replicas, status, counters, last seen',
    response: { schema: deviceInspectionSchema },
    errors: { ...badRequest, ...auth, ...notFound },
  })
  inspect(
    @ZodParam('tenant', tenantParam) tenant: string,
    @ZodParam('device', deviceParam) device: string,
  ): Promise<DeviceInspection> {
    return this.devices.inspect(tenant, device);
  }

  @Delete('tenants/:tenant/devices/:device')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Take a device down: its replicas stop it',
    response: { status: 204, schema: null, description: 'Removed' },
    errors: { ...badRequest, ...auth, ...notFound },
  })
  async remove(
    @ZodParam('tenant', tenantParam) tenant: string,
    @ZodParam('device', deviceParam) device: string,
  ): Promise<void> {
    await this.devices.remove(tenant, device);
  }
}
