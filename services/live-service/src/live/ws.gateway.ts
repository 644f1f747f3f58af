import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import {
  DomainError,
  type ErrorBody,
  InjectConfig,
  REQUEST_ID_HEADER,
  resolveRequestId,
} from '@openfoundry/service-kit';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { authorizeTenant } from '../auth/caller.ts';
import type { LiveConfig } from '../config.ts';
import { filtersFromQuery, type LiveFilter, parseFilter } from './filters.ts';
import { LiveService } from './live.service.ts';
import type { LiveConnection } from './live-connection.ts';
import { wsTransport } from './transports.ts';

const WS_PATH = /^\/v1\/tenants\/([^/]+)\/live\/ws$/;
/** Client messages are small commands; anything larger is refused by the ws library (close 1009). */
const MAX_CLIENT_MESSAGE_BYTES = 64 * 1024;

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Answers an upgrade request with an ordinary HTTP error in the service's error shape. */
function refuse(
  socket: Duplex,
  status: number,
  code: string,
  message: string,
  requestId: string,
  details?: unknown,
) {
  const body: ErrorBody = {
    error: { code, message, requestId, ...(details === undefined ? {} : { details }) },
  };
  const json = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n` +
      `content-type: application/json; charset=utf-8\r\n${REQUEST_ID_HEADER}: ${requestId}\r\n` +
      `content-length: ${Buffer.byteLength(json)}\r\nconnection: close\r\n\r\n${json}`,
  );
}

/**
 * The WebSocket door of live subscriptions. Fastify does not handle upgrades, so this listens for
 * them on the HTTP server the kit's Fastify adapter created; the plain GET of the same path is a
 * Nest route answering 426, so it is documented and errors stay in the service's shape.
 */
@Injectable()
export class WsGateway implements OnApplicationBootstrap, OnModuleDestroy {
  readonly #logger = new Logger(WsGateway.name);
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES });
  #server: Server | undefined;
  readonly #onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) =>
    void this.#upgrade(request, socket, head);

  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(LiveService) private readonly live: LiveService,
    @InjectConfig() private readonly config: LiveConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.#server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    this.#server.on('upgrade', this.#onUpgrade);
  }

  onModuleDestroy(): void {
    this.#server?.off('upgrade', this.#onUpgrade);
  }

  async #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const requestId = resolveRequestId(request.headers[REQUEST_ID_HEADER]);
    const url = new URL(request.url ?? '/', 'http://live');
    const path = WS_PATH.exec(url.pathname);
    if (!path?.[1]) {
      refuse(socket, 404, 'ROUTE_NOT_FOUND', `no WebSocket endpoint at ${url.pathname}`, requestId);
      return;
    }
    const query: Record<string, string | string[]> = {};
    for (const [key, value] of url.searchParams) {
      const seen = query[key];
      query[key] = seen === undefined ? value : [seen, value].flat();
    }
    let connection: LiveConnection | undefined;
    try {
      const tenant = decodeURIComponent(path[1]);
      authorizeTenant(this.config.LIVE_TOKENS, request.headers.authorization, query.access_token, tenant);
      const given = ['asset', 'attribute', 'filter'].some((name) => name in query);
      const filters = given ? filtersFromQuery(query, this.config.LIVE_MAX_FILTERS_PER_CONNECTION) : [];
      connection = this.live.open(tenant, 'websocket');
      await this.live.subscribe(connection, filters);
    } catch (error) {
      if (connection) await this.live.release(connection);
      if (error instanceof DomainError) {
        refuse(socket, error.httpStatus, error.code, error.message, requestId, error.details);
      } else {
        this.#logger.error({ requestId, err: (error as Error).message }, 'WebSocket upgrade failed');
        refuse(socket, 500, 'INTERNAL', 'internal error', requestId);
      }
      return;
    }
    const opened = connection;
    this.#wss.handleUpgrade(request, socket, head, (ws) => this.#serve(ws, opened, requestId));
  }

  #serve(ws: WebSocket, connection: LiveConnection, requestId: string): void {
    const fields = { requestId, connection: connection.id, tenant: connection.tenant };
    this.#logger.log({ ...fields, filters: connection.filters }, 'live WebSocket opened');
    // Commands from one client run one after another, so a subscribe is in place before the next.
    let commands = Promise.resolve();
    ws.on('message', (data: RawData, isBinary: boolean) => {
      commands = commands.then(() => this.#command(connection, data, isBinary));
    });
    ws.on('close', (code: number) => {
      this.#logger.log({ ...fields, code, ...connection.stats() }, 'live WebSocket closed');
      void this.live.release(connection);
    });
    ws.on('error', (error: Error) => this.#logger.warn({ ...fields, err: error.message }, 'WebSocket error'));
    connection.attach(wsTransport(ws), { type: 'subscribed', filters: connection.filters });
  }

  async #command(connection: LiveConnection, data: RawData, isBinary: boolean): Promise<void> {
    if (connection.closed) return;
    let command: unknown;
    try {
      if (isBinary) throw new Error('binary');
      command = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : String(data));
    } catch {
      connection.send({
        type: 'error',
        code: 'LIVE_INVALID_MESSAGE',
        message: 'messages are JSON text: {"subscribe": [...]} or {"unsubscribe": [...]}',
      });
      return;
    }
    try {
      const { subscribe, unsubscribe } = parseCommand(command);
      if (subscribe) {
        const added = await this.live.subscribe(connection, subscribe);
        connection.send({ type: 'subscribed', filters: added });
      }
      if (unsubscribe) {
        const removed = await this.live.unsubscribe(connection, unsubscribe);
        connection.send({ type: 'unsubscribed', filters: removed });
      }
    } catch (error) {
      if (error instanceof DomainError) {
        connection.send({
          type: 'error',
          code: error.code,
          message: error.message,
          ...(error.details === undefined ? {} : { details: error.details }),
        });
      } else {
        this.#logger.error(
          { connection: connection.id, err: (error as Error).message },
          'live command failed',
        );
        connection.send({ type: 'error', code: 'INTERNAL', message: 'internal error' });
      }
    }
  }
}

/** `{ "subscribe": [filter…] }` and/or `{ "unsubscribe": [filter…] }`, nothing else. */
export function parseCommand(command: unknown): { subscribe?: LiveFilter[]; unsubscribe?: LiveFilter[] } {
  const invalid = () =>
    new DomainError(
      'LIVE_INVALID_MESSAGE',
      'expected {"subscribe": [{"asset": …, "attribute": …}]} and/or {"unsubscribe": [...]}',
      400,
    );
  if (typeof command !== 'object' || command === null || Array.isArray(command)) throw invalid();
  const { subscribe, unsubscribe, ...rest } = command as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || (subscribe === undefined && unsubscribe === undefined)) throw invalid();
  const list = (value: unknown, name: string) => {
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) throw invalid();
    return value.map((filter, i) => parseFilter(filter, `${name}[${i}]`));
  };
  const result: { subscribe?: LiveFilter[]; unsubscribe?: LiveFilter[] } = {};
  const s = list(subscribe, 'subscribe');
  const u = list(unsubscribe, 'unsubscribe');
  if (s) result.subscribe = s;
  if (u) result.unsubscribe = u;
  return result;
}
