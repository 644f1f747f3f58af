import { Controller, Get, Inject, Req, Res, UseGuards } from '@nestjs/common';
import { ApiOperation, InjectConfig, REQUEST_ID_HEADER, ZodParam, ZodQuery } from '@openfoundry/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { TenantGuard } from '../auth/tenant.guard.ts';
import type { LiveConfig } from '../config.ts';
import { UpgradeRequiredError } from '../live.errors.ts';
import { type LiveQuery, liveQuerySchema, liveStatusSchema, tenantParamSchema } from './dto.ts';
import { filtersFromQuery } from './filters.ts';
import { LiveService, type LiveStatus } from './live.service.ts';
import { sseTransport } from './transports.ts';

const authErrors = {
  401: 'Missing or unknown bearer token (LIVE_UNAUTHENTICATED)',
  403: 'The token belongs to another tenant (LIVE_FORBIDDEN_TENANT)',
};

@Controller('v1')
export class LiveController {
  constructor(
    @Inject(LiveService) private readonly live: LiveService,
    @InjectConfig() private readonly config: LiveConfig,
  ) {}

  @Get('tenants/:tenant/live')
  @UseGuards(TenantGuard)
  @ApiOperation({
    summary: 'Follow a tenant’s asset events as server-sent events',
    description:
      'text/event-stream: `subscribed` (the filters, once the subscription is in place), then `asset-event` (an AssetEvent as JSON), `gap` ({"dropped": n}: events lost because the client was too slow; reload state), `shutdown` ({"reason"}) before the server closes; a `: heartbeat` comment every 15 s. No filter means every asset and attribute of the tenant.',
    response: { schema: null, description: 'An event stream (text/event-stream)' },
    errors: {
      ...authErrors,
      400: 'A filter is not * or a valid id (LIVE_INVALID_FILTER), or there are too many (LIVE_TOO_MANY_FILTERS)',
      429: 'The tenant has too many live connections on this instance (LIVE_TOO_MANY_CONNECTIONS)',
      503: 'The service is shutting down (LIVE_SHUTTING_DOWN)',
    },
  })
  async events(
    @ZodParam('tenant', tenantParamSchema) tenant: string,
    @ZodQuery(liveQuerySchema) query: LiveQuery,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const filters = filtersFromQuery(query, this.config.LIVE_MAX_FILTERS_PER_CONNECTION);
    const connection = this.live.open(tenant, 'sse');
    try {
      await this.live.subscribe(connection, filters);
    } catch (error) {
      await this.live.release(connection);
      throw error;
    }
    const response = reply.raw;
    reply.hijack();
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      [REQUEST_ID_HEADER]: String(request.id),
    });
    response.flushHeaders();
    response.on('close', () => {
      request.log.info({ connection: connection.id, ...connection.stats() }, 'live stream closed');
      void this.live.release(connection);
    });
    connection.attach(sseTransport(response), { type: 'subscribed', filters: connection.filters });
    request.log.info(
      { connection: connection.id, tenant, filters: connection.filters },
      'live stream opened',
    );
  }

  @Get('tenants/:tenant/live/ws')
  @UseGuards(TenantGuard)
  @ApiOperation({
    summary: 'Follow a tenant’s asset events over a WebSocket',
    description:
      'Upgrade to WebSocket (same auth and query filters as the SSE route). Client messages: {"subscribe": [{"asset", "attribute"}]}, {"unsubscribe": [...]}. Server messages: {"type": "subscribed"|"unsubscribed", "filters"}, {"type": "event", "event": AssetEvent}, {"type": "gap", "dropped": n}, {"type": "error", "code", "message"}. Close code 1001 with a reason when the server shuts down. A plain GET answers 426.',
    response: { status: 101, schema: null, description: 'Switching protocols' },
    errors: { ...authErrors, 400: 'A filter is invalid', 426: 'Not a WebSocket upgrade request' },
  })
  upgradeRequired(@ZodParam('tenant', tenantParamSchema) _tenant: string): never {
    throw new UpgradeRequiredError();
  }

  @Get('live/status')
  @ApiOperation({
    summary: 'Open live connections and NATS subscriptions of this instance',
    response: { schema: liveStatusSchema },
  })
  status(): LiveStatus {
    return this.live.status();
  }
}
