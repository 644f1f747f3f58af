import { randomBytes, randomUUID } from 'node:crypto';
import {
  ServerCredentials as Credentials,
  type handleBidiStreamingCall,
  type handleServerStreamingCall,
  type handleUnaryCall,
  Metadata,
  Server,
  type ServerCredentials,
  type ServerDuplexStream,
  type ServerWritableStream,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import { Schema as ArrowSchema, Field, type RecordBatch, type Schema } from 'apache-arrow';
import { parameterRows } from '../arrow/arrow-to-duckdb.ts';
import { encodeBatch, encodeSchema, type IpcMessage, readBatches, splitIpcStream } from '../arrow/ipc.ts';
import { type AuthProvider, parseBasic, parseBearer, TokenStore } from '../auth/auth.ts';
import {
  type Backend,
  BackendRegistry,
  type Principal,
  type QueryStream,
  type StatementDescription,
} from '../backend.ts';
import { QueryError, QueryErrorCode, toGrpcFailure } from '../errors.ts';
import { type Route, StatementRouter } from '../router.ts';
import {
  batchFromRows,
  CATALOGS_SCHEMA,
  DB_SCHEMAS_SCHEMA,
  FOREIGN_KEYS_SCHEMA,
  PRIMARY_KEYS_SCHEMA,
  TABLE_TYPES,
  TABLE_TYPES_SCHEMA,
  TABLES_SCHEMA,
  TABLES_WITH_SCHEMA_SCHEMA,
  XDBC_TYPE_INFO_SCHEMA,
  xdbcTypeInfoRows,
} from './metadata.ts';
import {
  decode,
  encode,
  flightServiceDefinition,
  flightType,
  type Message,
  packSql,
  type SqlCommand,
  sendPreframedMessages,
  sqlType,
  unpackSql,
} from './proto.ts';
import { SQL_INFO_SCHEMA, sqlInfoBatch, sqlInfoValues } from './sql-info.ts';

/** The subset of a pino logger the server uses. */
export interface FlightLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/**
 * The engines: a registry (its first backend is the primary), or a primary backend and further
 * ones. The primary serves the catalog metadata commands and the statements naming no catalog of
 * another engine; each other engine owns its own catalogs (ADR 0004 routing).
 */
export type FlightSqlBackends = { registry: BackendRegistry } | { backend: Backend; backends?: Backend[] };

export type FlightSqlServerOptions = FlightSqlBackends & {
  auth: AuthProvider;
  tokens?: TokenStore;
  logger?: FlightLogger;
  serverVersion?: string;
  arrowVersion?: string;
  /** Largest message accepted (DoPut bodies); larger than gRPC's 4 MiB default. */
  maxReceiveMessageBytes?: number;
  /** Prepared statements and kept results of statements that ran when planned, unused this long, are dropped. */
  preparedStatementIdleMs?: number;
  /** Sessions (their options) unused this long end. */
  sessionIdleMs?: number;
};

interface PreparedStatement {
  sql: string;
  backend: Backend;
  /** Where unqualified names resolve, fixed when the statement was prepared. */
  catalog: string;
  /** Set for EXPLAIN: the route row that precedes the engine's plan. */
  explainRoute: string | undefined;
  user: string;
  description: StatementDescription;
  parameters: unknown[][];
  lastUsed: number;
}

interface KeptResult {
  user: string;
  schema: Schema;
  batches: RecordBatch[];
  lastUsed: number;
}

interface RpcContext {
  requestId: string;
  principal: Principal;
  token: string;
  /** The `arrow_flight_session_id` cookie the client sent. */
  sessionId: string | undefined;
  /** A `set-cookie` value to send in the response headers. */
  setCookie?: string;
}

const SESSION_COOKIE = 'arrow_flight_session_id';

interface Session {
  user: string;
  options: Map<string, Message>;
  lastUsed: number;
}

/** The session id from the `cookie` request headers, if the client sent one. */
function sessionCookie(metadata: Metadata): string | undefined {
  for (const header of metadata.get('cookie'))
    for (const pair of String(header).split(';')) {
      const [name, value] = pair.split('=').map((part) => part.trim());
      if (name === SESSION_COOKIE && value) return value;
    }
  return undefined;
}

/**
 * Flight SQL sessions: options kept under a random id that travels as the
 * `arrow_flight_session_id` cookie and belongs to the user who opened the session (another user
 * presenting the cookie finds nothing). A client that does not echo cookies keeps its latest
 * session through its bearer token.
 */
class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly byToken = new Map<string, string>();

  /** Sessions unused for `idleMs` end. */
  constructor(private readonly idleMs: number) {}

  find(context: RpcContext): { id: string; session: Session } | undefined {
    this.dropIdle();
    for (const id of [context.sessionId, this.byToken.get(context.token)]) {
      const session = id ? this.sessions.get(id) : undefined;
      if (id && session && session.user === context.principal.user) {
        session.lastUsed = Date.now();
        return { id, session };
      }
    }
    return undefined;
  }

  /** The caller's session, opened (and its cookie set on the response) when there is none. */
  open(context: RpcContext): Session {
    const found = this.find(context);
    if (found) return found.session;
    const id = randomBytes(24).toString('base64url');
    const session = {
      user: context.principal.user,
      options: new Map<string, Message>(),
      lastUsed: Date.now(),
    };
    this.sessions.set(id, session);
    this.byToken.set(context.token, id);
    context.setCookie = `${SESSION_COOKIE}=${id}`;
    return session;
  }

  close(context: RpcContext): void {
    const found = this.find(context);
    if (!found) return;
    this.sessions.delete(found.id);
    for (const [token, id] of this.byToken) if (id === found.id) this.byToken.delete(token);
    context.setCookie = `${SESSION_COOKIE}=; Max-Age=0`;
  }

  dropIdle(): void {
    const cutoff = Date.now() - this.idleMs;
    for (const [id, session] of this.sessions) if (session.lastUsed < cutoff) this.sessions.delete(id);
    for (const [token, id] of this.byToken) if (!this.sessions.has(id)) this.byToken.delete(token);
  }
}

const REQUEST_ID_HEADER = 'x-request-id';
const SILENT: FlightLogger = { info() {}, warn() {}, error() {} };
/** Record batches written but not yet taken by HTTP/2: the next one is produced only below this. */
const WRITES_IN_FLIGHT = 2;

const ACTIONS: [string, string][] = [
  ['CreatePreparedStatement', 'Prepares a SQL statement: dataset and parameter schemas without running it'],
  ['ClosePreparedStatement', 'Releases a prepared statement; closing twice is harmless'],
  ['CancelFlightInfo', 'Cancels the running query of a FlightInfo'],
  ['CancelQuery', 'Cancels the running query of a FlightInfo (deprecated form)'],
  ['SetSessionOptions', 'Sets session options (catalog, schema)'],
  ['GetSessionOptions', 'Returns the session options'],
  ['CloseSession', 'Ends the session'],
];

function grpcError(code: status, details: string): ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new Metadata() });
}

function likePattern(pattern: unknown): string | undefined {
  return typeof pattern === 'string' ? pattern : undefined;
}

/** A Flight SQL `%`/`_` pattern as a JavaScript test, with `\` escaping either. */
export function matchesPattern(value: string, pattern: string | undefined): boolean {
  if (pattern === undefined) return true;
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '\\' && i + 1 < pattern.length) {
      source += (pattern[++i] as string).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    } else if (ch === '%') source += '.*';
    else if (ch === '_') source += '.';
    else source += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's').test(value);
}

function sqlList(values: readonly string[]): string {
  return values.map((v) => `'${v.replaceAll("'", "''")}'`).join(', ');
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * An Arrow Flight SQL server over gRPC: handshake and bearer tokens, statements and prepared
 * statements streamed from a backend, and the metadata commands BI drivers walk.
 */
export class FlightSqlServer {
  /** The primary backend: the default route and the source of catalog metadata. */
  private readonly backend: Backend;
  private readonly router: StatementRouter;
  private readonly auth: AuthProvider;
  private readonly tokens: TokenStore;
  private readonly logger: FlightLogger;
  private readonly sqlInfo: ReturnType<typeof sqlInfoValues>;
  private readonly prepared = new Map<string, PreparedStatement>();
  /** Results of statements that ran when planned, by the id their ticket carries. */
  private readonly results = new Map<string, KeptResult>();
  private readonly sessions: SessionStore;
  /** Running DoGet streams by ticket, so CancelFlightInfo can stop them. */
  private readonly running = new Map<string, Set<AbortController>>();
  private readonly options: FlightSqlServerOptions;
  private server: Server | undefined;
  private port: number | undefined;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(options: FlightSqlServerOptions) {
    this.options = options;
    const registry =
      'registry' in options
        ? options.registry
        : new BackendRegistry([options.backend, ...(options.backends ?? [])]);
    this.router = new StatementRouter(registry);
    this.backend = registry.backends[0] as Backend;
    this.auth = options.auth;
    this.sessions = new SessionStore(options.sessionIdleMs ?? 60 * 60 * 1000);
    this.tokens = options.tokens ?? new TokenStore();
    this.logger = options.logger ?? SILENT;
    this.sqlInfo = sqlInfoValues(options.serverVersion ?? '0.1.0', options.arrowVersion ?? '21.2.0');
  }

  /** Adds the FlightService handlers to a gRPC server the caller owns. */
  addTo(server: Server): void {
    // Record batches leave as the frames encodeBatch made, not copied once more by grpc-js.
    sendPreframedMessages();
    server.addService(flightServiceDefinition(), {
      Handshake: this.handshake,
      ListFlights: this.listFlights,
      GetFlightInfo: this.getFlightInfo,
      PollFlightInfo: this.unimplementedUnary('PollFlightInfo'),
      GetSchema: this.getSchema,
      DoGet: this.doGet,
      DoPut: this.doPut,
      DoExchange: this.doExchange,
      DoAction: this.doAction,
      ListActions: this.listActions,
    });
  }

  /** Starts a gRPC server of its own on host:port (0 picks a free port) and returns the bound port. */
  async listen(host: string, port: number, credentials: ServerCredentials = Credentials.createInsecure()) {
    const max = this.options.maxReceiveMessageBytes ?? 256 * 1024 * 1024;
    const server = new Server({
      'grpc.max_receive_message_length': max,
      'grpc.max_send_message_length': -1,
    });
    this.addTo(server);
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${host}:${port}`, credentials, (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    this.server = server;
    const idle = this.options.preparedStatementIdleMs ?? 30 * 60 * 1000;
    this.sweeper = setInterval(
      () => {
        this.dropIdle(idle);
        this.sessions.dropIdle();
      },
      Math.min(idle, 60_000),
    );
    this.sweeper.unref();
    return this.port;
  }

  get listeningPort(): number | undefined {
    return this.port;
  }

  /** Stops accepting calls, lets running streams finish for up to `graceMs`, then cancels them. */
  async close(graceMs = 10_000): Promise<void> {
    const server = this.server;
    clearInterval(this.sweeper);
    if (!server) return this.router.close();
    this.server = undefined;
    this.port = undefined;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        for (const controllers of this.running.values()) for (const c of controllers) c.abort();
        server.forceShutdown();
        resolve();
      }, graceMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    await this.router.close();
  }

  // ---- authentication -------------------------------------------------------------------------

  private requestId(metadata: Metadata): string {
    const given = metadata.get(REQUEST_ID_HEADER)[0];
    return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
  }

  private authenticate(metadata: Metadata): RpcContext {
    const header = metadata.get('authorization')[0];
    const token = typeof header === 'string' ? parseBearer(header) : undefined;
    const principal = token ? this.tokens.resolve(token) : undefined;
    if (!token || !principal)
      throw new QueryError(
        QueryErrorCode.Unauthenticated,
        'a valid bearer token is required; handshake first',
      );
    return { requestId: this.requestId(metadata), principal, token, sessionId: sessionCookie(metadata) };
  }

  private readonly handshake: handleBidiStreamingCall<Message, Message> = (call) => {
    const requestId = this.requestId(call.metadata);
    const started = Date.now();
    const fail = (error: unknown) => this.failStream(call, error, { requestId, rpc: 'Handshake', started });
    const header = call.metadata.get('authorization')[0];
    const respond = (token: string, user: string) => {
      const metadata = new Metadata();
      metadata.set('authorization', `Bearer ${token}`);
      call.sendMetadata(metadata);
      this.logger.info({ requestId, rpc: 'Handshake', user, ms: Date.now() - started }, 'rpc ok');
      return token;
    };
    let token: string | undefined;
    const fromHeader = async () => {
      if (typeof header !== 'string') return;
      const bearer = parseBearer(header);
      if (bearer) {
        const principal = this.tokens.resolve(bearer);
        if (!principal)
          throw new QueryError(QueryErrorCode.Unauthenticated, 'unknown or expired bearer token');
        token = respond(bearer, principal.user);
        return;
      }
      const basic = parseBasic(header);
      if (!basic)
        throw new QueryError(QueryErrorCode.Unauthenticated, 'authorization must be Basic or Bearer');
      const principal = await this.auth.authenticate(basic.user, basic.password);
      if (!principal) throw new QueryError(QueryErrorCode.Unauthenticated, 'invalid user name or password');
      token = respond(this.tokens.issue(principal), principal.user);
    };
    const ready = fromHeader();
    ready.catch(fail);
    call.on('data', (request: Message) => {
      ready
        .then(async () => {
          if (!token) {
            // No header: the credentials travel as a BasicAuth message in the payload.
            const basic = decode(flightType('BasicAuth'), request.payload as Uint8Array);
            const principal = await this.auth.authenticate(String(basic.username), String(basic.password));
            if (!principal)
              throw new QueryError(QueryErrorCode.Unauthenticated, 'invalid user name or password');
            token = respond(this.tokens.issue(principal), principal.user);
          }
          call.write({ protocolVersion: request.protocolVersion ?? 0, payload: Buffer.from(token) });
        })
        .catch(fail);
    });
    call.on('end', () => {
      ready.then(() => {
        if (!token) return fail(new QueryError(QueryErrorCode.Unauthenticated, 'no credentials were sent'));
        call.end();
      }, fail);
    });
  };

  // ---- GetFlightInfo / GetSchema ---------------------------------------------------------------

  private command(descriptor: Message): SqlCommand {
    const command = descriptor.cmd ? unpackSql(descriptor.cmd as Uint8Array) : undefined;
    if (!command)
      throw new QueryError(QueryErrorCode.Unimplemented, 'the descriptor is not a Flight SQL command');
    return command;
  }

  /** The result schema of a command, and the ticket that streams it. */
  /**
   * The result schema of a command, and the ticket that streams it. With `execute` (GetFlightInfo,
   * not GetSchema), a statement that changes state runs here, once: clients that never fetch the
   * ticket (ADBC `execute` of DDL) still get its effect, and fetching it replays the kept result.
   */
  private async plan(
    command: SqlCommand,
    context: RpcContext,
    execute: boolean,
  ): Promise<{ schema: Schema; ticket: Buffer }> {
    const { name, message } = command;
    switch (name) {
      case 'CommandStatementQuery': {
        const sql = String(message.query ?? '');
        const route = await this.route(sql, context);
        const scope = this.statementScope(route.catalog, context);
        const description = await route.backend.describe(sql, scope);
        if (execute && description.changesState)
          return this.runOnce(context, () => route.backend.query(sql, scope));
        const handle = Buffer.from(JSON.stringify({ sql }));
        return {
          schema: description.datasetSchema,
          ticket: packSql('TicketStatementQuery', { statementHandle: handle }),
        };
      }
      case 'CommandPreparedStatementQuery': {
        const statement = this.preparedFor(message.preparedStatementHandle, context);
        const parameters = statement.parameters[0];
        const scope = { ...this.statementScope(statement.catalog, context), parameters: parameters ?? [] };
        if (execute && statement.description.changesState)
          return this.runOnce(context, () => statement.backend.query(statement.sql, scope));
        const schema = parameters?.length
          ? (await statement.backend.describe(statement.sql, scope)).datasetSchema
          : statement.description.datasetSchema;
        return {
          schema,
          ticket: packSql('CommandPreparedStatementQuery', message),
        };
      }
      case 'CommandGetSqlInfo':
        return { schema: SQL_INFO_SCHEMA, ticket: packSql(name, message) };
      case 'CommandGetCatalogs':
        return { schema: CATALOGS_SCHEMA, ticket: packSql(name, message) };
      case 'CommandGetDbSchemas':
        return { schema: DB_SCHEMAS_SCHEMA, ticket: packSql(name, message) };
      case 'CommandGetTables':
        return {
          schema: message.includeSchema ? TABLES_WITH_SCHEMA_SCHEMA : TABLES_SCHEMA,
          ticket: packSql(name, message),
        };
      case 'CommandGetTableTypes':
        return { schema: TABLE_TYPES_SCHEMA, ticket: packSql(name, message) };
      case 'CommandGetPrimaryKeys':
        return { schema: PRIMARY_KEYS_SCHEMA, ticket: packSql(name, message) };
      case 'CommandGetImportedKeys':
      case 'CommandGetExportedKeys':
      case 'CommandGetCrossReference':
        return { schema: FOREIGN_KEYS_SCHEMA, ticket: packSql(name, message) };
      case 'CommandGetXdbcTypeInfo':
        return { schema: XDBC_TYPE_INFO_SCHEMA, ticket: packSql(name, message) };
      default:
        throw new QueryError(QueryErrorCode.Unimplemented, `${name} is not supported by this server`);
    }
  }

  private readonly getFlightInfo: handleUnaryCall<Message, Message> = (call, callback) => {
    this.unary('GetFlightInfo', call.metadata, callback, async (context, log) => {
      const command = this.command(call.request);
      log.command = command.name;
      const { schema, ticket } = await this.plan(command, context, true);
      return {
        schema: encodeSchema(schema),
        flightDescriptor: call.request,
        endpoint: [{ ticket: { ticket }, location: [] }],
        totalRecords: -1,
        totalBytes: -1,
        ordered: false,
      };
    });
  };

  private readonly getSchema: handleUnaryCall<Message, Message> = (call, callback) => {
    this.unary('GetSchema', call.metadata, callback, async (context) => {
      const { schema } = await this.plan(this.command(call.request), context, false);
      return { schema: encodeSchema(schema) };
    });
  };

  // ---- DoGet ----------------------------------------------------------------------------------

  private readonly doGet: handleServerStreamingCall<Message, Message> = (call) => {
    const started = Date.now();
    let context: RpcContext;
    try {
      context = this.authenticate(call.metadata);
    } catch (error) {
      this.failStream(call, error, { requestId: this.requestId(call.metadata), rpc: 'DoGet', started });
      return;
    }
    const ticketBytes = Buffer.from(call.request.ticket as Uint8Array);
    const ticketKey = ticketBytes.toString('base64');
    const controller = new AbortController();
    call.on('cancelled', () => controller.abort());
    const controllers = this.running.get(ticketKey) ?? new Set();
    controllers.add(controller);
    this.running.set(ticketKey, controllers);
    const log = { requestId: context.requestId, rpc: 'DoGet', user: context.principal.user, started };
    this.streamTicket(ticketBytes, context, call, controller.signal)
      .then((rows) => {
        this.logger.info({ ...this.fields(log), command: unpackSql(ticketBytes)?.name, rows }, 'rpc ok');
        call.end();
      })
      .catch((error: unknown) => this.failStream(call, error, log))
      .finally(() => {
        controllers.delete(controller);
        if (controllers.size === 0) this.running.delete(ticketKey);
      });
  };

  private async streamTicket(
    ticket: Buffer,
    context: RpcContext,
    call: ServerWritableStream<Message, Message>,
    signal: AbortSignal,
  ): Promise<number> {
    const command = unpackSql(ticket);
    if (!command)
      throw new QueryError(QueryErrorCode.InvalidArgument, 'the ticket is not one this server issued');
    const { name, message } = command;
    if (name === 'TicketStatementQuery') {
      let handle: { sql?: unknown; result?: unknown };
      try {
        handle = JSON.parse(Buffer.from(message.statementHandle as Uint8Array).toString('utf8'));
      } catch {
        throw new QueryError(QueryErrorCode.InvalidArgument, 'the ticket is not one this server issued');
      }
      if (typeof handle.result === 'string') {
        const kept = this.results.get(handle.result);
        if (!kept || kept.user !== context.principal.user)
          throw new QueryError(QueryErrorCode.NotFound, 'the result of this statement is no longer kept');
        kept.lastUsed = Date.now();
        return this.writeStream(call, kept.schema, kept.batches, signal);
      }
      const sql = String(handle.sql);
      const route = await this.route(sql, context);
      const stream = await route.backend.query(sql, {
        ...this.statementScope(route.catalog, context),
        signal,
      });
      const explainRoute = route.analysis.explain ? StatementRouter.describe(route) : undefined;
      return this.writeStream(call, stream.schema, withRouteRow(stream, explainRoute), signal);
    }
    if (name === 'CommandPreparedStatementQuery') {
      const statement = this.preparedFor(message.preparedStatementHandle, context);
      const stream = await statement.backend.query(statement.sql, {
        ...this.statementScope(statement.catalog, context),
        parameters: statement.parameters[0] ?? [],
        signal,
      });
      return this.writeStream(call, stream.schema, withRouteRow(stream, statement.explainRoute), signal);
    }
    const batch = await this.metadataBatch(command, context.principal);
    return this.writeStream(call, batch.schema, [batch], signal);
  }

  /** Writes schema then batches, producing the next batch only once HTTP/2 has taken the earlier ones. */
  private async writeStream(
    call: ServerWritableStream<Message, Message>,
    schema: Schema,
    batches: AsyncIterable<RecordBatch> | Iterable<RecordBatch>,
    signal: AbortSignal,
  ): Promise<number> {
    let inFlight = 0;
    let wake: (() => void) | undefined;
    const aborted = new Promise<void>((resolve) =>
      signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    const written = () => {
      inFlight--;
      wake?.();
    };
    const write = async (message: IpcMessage) => {
      inFlight++;
      call.write({ dataHeader: message.dataHeader, dataBody: message.dataBody }, written);
      while (inFlight >= WRITES_IN_FLIGHT && !signal.aborted) {
        await Promise.race([new Promise<void>((resolve) => (wake = resolve)), aborted]);
      }
    };
    const schemaMessage = splitIpcStream(encodeSchema(schema))[0] as IpcMessage;
    await write({ dataHeader: schemaMessage.dataHeader, dataBody: new Uint8Array() });
    let rows = 0;
    for await (const batch of batches) {
      if (signal.aborted) throw new QueryError(QueryErrorCode.Cancelled, 'the client cancelled the stream');
      await write(encodeBatch(batch));
      rows += batch.numRows;
    }
    if (signal.aborted) throw new QueryError(QueryErrorCode.Cancelled, 'the client cancelled the stream');
    return rows;
  }

  // ---- metadata commands ----------------------------------------------------------------------

  private visibleCatalogs(principal: Principal): string[] {
    return this.router.catalogs.filter((c) => principal.catalogs.includes(c)).sort();
  }

  private async metadataBatch(command: SqlCommand, principal: Principal): Promise<RecordBatch> {
    const { name, message } = command;
    const catalogs = this.visibleCatalogs(principal);
    const inCatalog = (catalog: unknown) =>
      catalog === undefined ? catalogs : catalogs.filter((c) => c === catalog);
    switch (name) {
      case 'CommandGetSqlInfo':
        return sqlInfoBatch(this.sqlInfo, ((message.info as number[] | undefined) ?? []).map(Number));
      case 'CommandGetCatalogs':
        return batchFromRows(
          CATALOGS_SCHEMA,
          catalogs.map((catalog_name) => ({ catalog_name })),
        );
      case 'CommandGetDbSchemas': {
        const rows = await this.schemas(
          inCatalog(message.catalog),
          likePattern(message.dbSchemaFilterPattern),
        );
        return batchFromRows(DB_SCHEMAS_SCHEMA, rows);
      }
      case 'CommandGetTables':
        return this.tables(message, inCatalog(message.catalog), principal);
      case 'CommandGetTableTypes':
        return batchFromRows(
          TABLE_TYPES_SCHEMA,
          TABLE_TYPES.map((table_type) => ({ table_type })),
        );
      case 'CommandGetPrimaryKeys':
        return batchFromRows(
          PRIMARY_KEYS_SCHEMA,
          await this.primaryKeys(message, inCatalog(message.catalog)),
        );
      case 'CommandGetImportedKeys':
      case 'CommandGetExportedKeys':
      case 'CommandGetCrossReference':
        return batchFromRows(FOREIGN_KEYS_SCHEMA, await this.foreignKeys(name, message, catalogs));
      case 'CommandGetXdbcTypeInfo':
        return batchFromRows(
          XDBC_TYPE_INFO_SCHEMA,
          xdbcTypeInfoRows(message.dataType === undefined ? undefined : Number(message.dataType)),
        );
      default:
        throw new QueryError(QueryErrorCode.Unimplemented, `${name} is not supported by this server`);
    }
  }

  private async schemas(catalogs: string[], pattern: string | undefined) {
    if (catalogs.length === 0) return [];
    const rows = await this.backend.metadata(
      `select database_name as catalog_name, schema_name as db_schema_name from duckdb_schemas()
       where database_name in (${sqlList(catalogs)}) order by 1, 2`,
    );
    return rows.filter((row) => matchesPattern(String(row.db_schema_name), pattern));
  }

  private async tables(message: Message, catalogs: string[], principal: Principal): Promise<RecordBatch> {
    const includeSchema = Boolean(message.includeSchema);
    const schema = includeSchema ? TABLES_WITH_SCHEMA_SCHEMA : TABLES_SCHEMA;
    if (catalogs.length === 0) return batchFromRows(schema, []);
    const rows = await this.backend.metadata(
      `select table_catalog as catalog_name, table_schema as db_schema_name, table_name,
              case table_type when 'BASE TABLE' then 'TABLE' else table_type end as table_type
       from information_schema.tables where table_catalog in (${sqlList(catalogs)}) order by 4, 1, 2, 3`,
    );
    const types = ((message.tableTypes as string[] | undefined) ?? []).map((t) => t.toUpperCase());
    const schemaPattern = likePattern(message.dbSchemaFilterPattern);
    const tablePattern = likePattern(message.tableNameFilterPattern);
    const selected = rows.filter(
      (row) =>
        matchesPattern(String(row.db_schema_name), schemaPattern) &&
        matchesPattern(String(row.table_name), tablePattern) &&
        (types.length === 0 || types.includes(String(row.table_type).toUpperCase())),
    );
    if (includeSchema && selected.length > 0) {
      const columns = await this.backend.metadata(
        `select table_catalog, table_schema, table_name, column_name, is_nullable
         from information_schema.columns where table_catalog in (${sqlList(catalogs)})`,
      );
      const notNull = new Set(
        columns
          .filter((c) => c.is_nullable === 'NO')
          .map((c) => [c.table_catalog, c.table_schema, c.table_name, c.column_name].join('\0')),
      );
      for (const row of selected) {
        const [catalog, db, table] = [row.catalog_name, row.db_schema_name, row.table_name].map(String) as [
          string,
          string,
          string,
        ];
        const description = await this.backend.describe(
          `select * from ${quoteIdent(catalog)}.${quoteIdent(db)}.${quoteIdent(table)}`,
          { principal },
        );
        const required = (column: string) => notNull.has([catalog, db, table, column].join('\0'));
        row.table_schema = encodeSchema(
          withColumnMetadata(description.datasetSchema, catalog, db, table, required),
        );
      }
    }
    return batchFromRows(schema, selected);
  }

  private async primaryKeys(message: Message, catalogs: string[]) {
    if (catalogs.length === 0) return [];
    const rows = await this.backend.metadata(
      `select database_name as catalog_name, schema_name as db_schema_name, table_name,
              unnest(constraint_column_names) as column_name, constraint_name as key_name,
              cast(unnest(generate_series(1, len(constraint_column_names))) as integer) as key_sequence
       from duckdb_constraints()
       where constraint_type = 'PRIMARY KEY' and database_name in (${sqlList(catalogs)})
       order by 1, 2, 3, 6`,
    );
    return rows.filter(
      (row) =>
        row.table_name === message.table &&
        (message.dbSchema === undefined || row.db_schema_name === message.dbSchema),
    );
  }

  private async foreignKeys(name: string, message: Message, catalogs: string[]) {
    if (catalogs.length === 0) return [];
    const rows = await this.backend.metadata(
      `select database_name as fk_catalog_name, schema_name as fk_db_schema_name, table_name as fk_table_name,
              unnest(constraint_column_names) as fk_column_name, constraint_name as fk_key_name,
              referenced_table as pk_table_name, unnest(referenced_column_names) as pk_column_name,
              cast(unnest(generate_series(1, len(constraint_column_names))) as integer) as key_sequence
       from duckdb_constraints()
       where constraint_type = 'FOREIGN KEY' and database_name in (${sqlList(catalogs)})
       order by 1, 2, 3, 8`,
    );
    const keys: Record<string, unknown>[] = rows.map((row) => ({
      ...row,
      // DuckDB only allows foreign keys inside one schema of one database.
      pk_catalog_name: row.fk_catalog_name,
      pk_db_schema_name: row.fk_db_schema_name,
      pk_key_name: null,
      update_rule: 3, // NO ACTION
      delete_rule: 3,
    }));
    const matches = (
      row: Record<string, unknown>,
      side: 'pk' | 'fk',
      catalog: unknown,
      schema: unknown,
      table: unknown,
    ) =>
      row[`${side}_table_name`] === table &&
      (catalog === undefined || row[`${side}_catalog_name`] === catalog) &&
      (schema === undefined || row[`${side}_db_schema_name`] === schema);
    if (name === 'CommandGetImportedKeys')
      return keys.filter((row) => matches(row, 'fk', message.catalog, message.dbSchema, message.table));
    if (name === 'CommandGetExportedKeys')
      return keys
        .filter((row) => matches(row, 'pk', message.catalog, message.dbSchema, message.table))
        .sort((a, b) => String(a.fk_table_name).localeCompare(String(b.fk_table_name)));
    return keys.filter(
      (row) =>
        matches(row, 'pk', message.pkCatalog, message.pkDbSchema, message.pkTable) &&
        matches(row, 'fk', message.fkCatalog, message.fkDbSchema, message.fkTable),
    );
  }

  // ---- DoPut ----------------------------------------------------------------------------------

  private readonly doPut: handleBidiStreamingCall<Message, Message> = (call) => {
    const started = Date.now();
    let context: RpcContext;
    try {
      context = this.authenticate(call.metadata);
    } catch (error) {
      this.failStream(call, error, { requestId: this.requestId(call.metadata), rpc: 'DoPut', started });
      return;
    }
    const log = { requestId: context.requestId, rpc: 'DoPut', user: context.principal.user, started };
    const controller = new AbortController();
    call.on('cancelled', () => controller.abort());
    this.handlePut(call, context, controller.signal)
      .then((result) => {
        this.logger.info({ ...this.fields(log), command: result.command }, 'rpc ok');
        call.write({ appMetadata: result.appMetadata }, () => call.end());
      })
      .catch((error: unknown) => this.failStream(call, error, log));
  };

  private async handlePut(
    call: ServerDuplexStream<Message, Message>,
    context: RpcContext,
    signal: AbortSignal,
  ): Promise<{ command: string; appMetadata: Buffer }> {
    let descriptor: Message | undefined;
    const messages: IpcMessage[] = [];
    for await (const data of call as AsyncIterable<Message>) {
      if (!descriptor && data.flightDescriptor) descriptor = data.flightDescriptor as Message;
      messages.push({ dataHeader: data.dataHeader as Uint8Array, dataBody: data.dataBody as Uint8Array });
    }
    if (!descriptor) throw new QueryError(QueryErrorCode.InvalidArgument, 'DoPut needs a flight descriptor');
    const command = this.command(descriptor);
    const rows = () => {
      if (!messages.some((m) => m.dataHeader.length > 0)) return [];
      return readBatches(messages).batches.flatMap((batch) => parameterRows(batch));
    };
    const updateResult = (count: number) => putResult('DoPutUpdateResult', { recordCount: count });
    switch (command.name) {
      case 'CommandStatementUpdate': {
        const sql = String(command.message.query ?? '');
        const route = await this.route(sql, context);
        const count = await route.backend.update(sql, {
          ...this.statementScope(route.catalog, context),
          signal,
        });
        return { command: command.name, appMetadata: updateResult(count) };
      }
      case 'CommandPreparedStatementQuery': {
        const statement = this.preparedFor(command.message.preparedStatementHandle, context);
        statement.parameters = rows();
        return {
          command: command.name,
          appMetadata: putResult('DoPutPreparedStatementResult', {
            preparedStatementHandle: command.message.preparedStatementHandle,
          }),
        };
      }
      case 'CommandPreparedStatementUpdate': {
        const statement = this.preparedFor(command.message.preparedStatementHandle, context);
        const bound = rows();
        const count = await statement.backend.update(statement.sql, {
          ...this.statementScope(statement.catalog, context),
          signal,
          rows: bound.length ? bound : statement.parameters,
        });
        return { command: command.name, appMetadata: updateResult(count) };
      }
      default:
        throw new QueryError(QueryErrorCode.Unimplemented, `${command.name} is not supported by DoPut`);
    }
  }

  private readonly doExchange: handleBidiStreamingCall<Message, Message> = (call) => {
    this.failStream(call, new QueryError(QueryErrorCode.Unimplemented, 'DoExchange is not supported'), {
      requestId: this.requestId(call.metadata),
      rpc: 'DoExchange',
      started: Date.now(),
    });
  };

  // ---- DoAction -------------------------------------------------------------------------------

  private readonly doAction: handleServerStreamingCall<Message, Message> = (call) => {
    const started = Date.now();
    let context: RpcContext;
    try {
      context = this.authenticate(call.metadata);
    } catch (error) {
      this.failStream(call, error, { requestId: this.requestId(call.metadata), rpc: 'DoAction', started });
      return;
    }
    const type = String(call.request.type ?? '');
    const log = {
      requestId: context.requestId,
      rpc: `DoAction ${type}`,
      user: context.principal.user,
      started,
    };
    this.action(type, Buffer.from((call.request.body as Uint8Array) ?? []), context)
      .then((results) => {
        if (context.setCookie) {
          const headers = new Metadata();
          headers.set('set-cookie', context.setCookie);
          call.sendMetadata(headers);
        }
        for (const body of results) call.write({ body });
        this.logger.info(this.fields(log), 'rpc ok');
        call.end();
      })
      .catch((error: unknown) => this.failStream(call, error, log));
  };

  private async action(type: string, body: Buffer, context: RpcContext): Promise<Buffer[]> {
    switch (type) {
      case 'CreatePreparedStatement': {
        const request = this.actionRequest(body, 'ActionCreatePreparedStatementRequest');
        const sql = String(request.query ?? '');
        const route = await this.route(sql, context);
        const { backend } = route;
        const description = await backend.describe(sql, this.statementScope(route.catalog, context));
        const handle = randomBytes(16).toString('hex');
        this.prepared.set(handle, {
          sql,
          backend,
          catalog: route.catalog,
          explainRoute: route.analysis.explain ? StatementRouter.describe(route) : undefined,
          user: context.principal.user,
          description,
          parameters: [],
          lastUsed: Date.now(),
        });
        return [
          packSql('ActionCreatePreparedStatementResult', {
            preparedStatementHandle: Buffer.from(handle),
            // An empty dataset schema is how drivers (JDBC) know to run the statement as an update.
            datasetSchema: encodeSchema(
              description.isUpdate ? new ArrowSchema([]) : description.datasetSchema,
            ),
            parameterSchema: encodeSchema(description.parameterSchema),
          }),
        ];
      }
      case 'ClosePreparedStatement': {
        const request = this.actionRequest(body, 'ActionClosePreparedStatementRequest');
        const handle = Buffer.from(request.preparedStatementHandle as Uint8Array).toString();
        const statement = this.prepared.get(handle);
        if (statement && statement.user === context.principal.user) this.prepared.delete(handle);
        return [];
      }
      case 'CancelFlightInfo': {
        const request = decode(flightType('CancelFlightInfoRequest'), body);
        const cancelled = this.cancelInfo(request.info as Message | undefined);
        return [encode(flightType('CancelFlightInfoResult'), { status: cancelled ? 1 : 3 })];
      }
      case 'CancelQuery': {
        const request = this.actionRequest(body, 'ActionCancelQueryRequest');
        const info = decode(flightType('FlightInfo'), request.info as Uint8Array);
        const cancelled = this.cancelInfo(info);
        return [packSql('ActionCancelQueryResult', { result: cancelled ? 1 : 3 })];
      }
      case 'SetSessionOptions': {
        const request = decode(flightType('SetSessionOptionsRequest'), body);
        const { options } = this.sessions.open(context);
        const errors: Record<string, Message> = {};
        for (const [key, value] of Object.entries(
          (request.sessionOptions as Record<string, Message>) ?? {},
        )) {
          if (key === 'catalog' && typeof value.stringValue === 'string') {
            if (!this.visibleCatalogs(context.principal).includes(value.stringValue))
              errors[key] = { value: 2 };
            else options.set(key, value);
          } else if (key === 'schema' && typeof value.stringValue === 'string') {
            options.set(key, value);
          } else {
            errors[key] = { value: 1 };
          }
        }
        return [encode(flightType('SetSessionOptionsResult'), { errors })];
      }
      case 'GetSessionOptions': {
        const options = this.sessions.find(context)?.session.options ?? new Map();
        return [
          encode(flightType('GetSessionOptionsResult'), { sessionOptions: Object.fromEntries(options) }),
        ];
      }
      case 'CloseSession': {
        this.sessions.close(context);
        return [encode(flightType('CloseSessionResult'), { status: 1 })];
      }
      default:
        throw new QueryError(QueryErrorCode.Unimplemented, `action ${type} is not supported`);
    }
  }

  private actionRequest(body: Buffer, expected: string): Message {
    const command = unpackSql(body);
    if (!command || command.name !== expected)
      throw new QueryError(QueryErrorCode.InvalidArgument, `the action body must be a packed ${expected}`);
    return command.message;
  }

  private cancelInfo(info: Message | undefined): boolean {
    let cancelled = false;
    for (const endpoint of (info?.endpoint as Message[] | undefined) ?? []) {
      const ticket = (endpoint.ticket as Message | undefined)?.ticket as Uint8Array | undefined;
      if (!ticket) continue;
      for (const controller of this.running.get(Buffer.from(ticket).toString('base64')) ?? []) {
        controller.abort();
        cancelled = true;
      }
    }
    return cancelled;
  }

  private readonly listActions: handleServerStreamingCall<Message, Message> = (call) => {
    try {
      this.authenticate(call.metadata);
    } catch (error) {
      this.failStream(call, error, {
        requestId: this.requestId(call.metadata),
        rpc: 'ListActions',
        started: 0,
      });
      return;
    }
    for (const [type, description] of ACTIONS) call.write({ type, description });
    call.end();
  };

  private readonly listFlights: handleServerStreamingCall<Message, Message> = (call) => {
    try {
      this.authenticate(call.metadata);
    } catch (error) {
      this.failStream(call, error, {
        requestId: this.requestId(call.metadata),
        rpc: 'ListFlights',
        started: 0,
      });
      return;
    }
    call.end();
  };

  // ---- shared ---------------------------------------------------------------------------------

  /** The session's `catalog` and `schema` options. */
  private sessionScope(context: RpcContext): { catalog?: string; schema?: string } {
    const options = this.sessions.find(context)?.session.options;
    const text = (name: string) => {
      const value = options?.get(name)?.stringValue;
      return typeof value === 'string' && value ? value : undefined;
    };
    const catalog = text('catalog');
    const schema = text('schema');
    return { ...(catalog ? { catalog } : {}), ...(schema ? { schema } : {}) };
  }

  /** Who runs a statement and where its unqualified names resolve; the session's schema applies in its catalog. */
  private statementScope(catalog: string, context: RpcContext) {
    const session = this.sessionScope(context);
    const schema = session.schema && (session.catalog ?? catalog) === catalog ? session.schema : undefined;
    return { principal: context.principal, catalog, ...(schema ? { schema } : {}) };
  }

  private preparedFor(handle: unknown, context: RpcContext): PreparedStatement {
    const key = handle ? Buffer.from(handle as Uint8Array).toString() : '';
    const statement = this.prepared.get(key);
    if (!statement || statement.user !== context.principal.user)
      throw new QueryError(QueryErrorCode.NotFound, 'unknown or closed prepared statement');
    statement.lastUsed = Date.now();
    return statement;
  }

  private dropIdle(idleMs: number): void {
    const cutoff = Date.now() - idleMs;
    for (const [handle, statement] of this.prepared)
      if (statement.lastUsed < cutoff) this.prepared.delete(handle);
    for (const [id, result] of this.results) if (result.lastUsed < cutoff) this.results.delete(id);
  }

  /** Runs a statement that changes state now and keeps its (small) result for the ticket's DoGet. */
  private async runOnce(
    context: RpcContext,
    run: () => Promise<QueryStream>,
  ): Promise<{ schema: Schema; ticket: Buffer }> {
    const stream = await run();
    const batches: RecordBatch[] = [];
    for await (const batch of stream.batches) batches.push(batch);
    const id = randomBytes(16).toString('hex');
    this.results.set(id, {
      user: context.principal.user,
      schema: stream.schema,
      batches,
      lastUsed: Date.now(),
    });
    const handle = Buffer.from(JSON.stringify({ result: id }));
    return { schema: stream.schema, ticket: packSql('TicketStatementQuery', { statementHandle: handle }) };
  }

  /** The backend for a statement; refuses catalogs the principal may not see and mixed engines. */
  private route(sql: string, context: RpcContext): Promise<Route> {
    return this.router.route(sql, context.principal, this.sessionScope(context).catalog);
  }

  private fields(log: { requestId: string; rpc: string; user?: string; started: number }) {
    return { requestId: log.requestId, rpc: log.rpc, user: log.user, ms: Date.now() - log.started };
  }

  private unary(
    rpc: string,
    metadata: Metadata,
    callback: (error: ServiceError | null, value?: Message) => void,
    run: (context: RpcContext, log: { command?: string }) => Promise<Message>,
  ): void {
    const started = Date.now();
    let log = { requestId: this.requestId(metadata), rpc, user: undefined as string | undefined, started };
    const extra: { command?: string } = {};
    (async () => {
      const context = this.authenticate(metadata);
      log = { ...log, requestId: context.requestId, user: context.principal.user };
      return run(context, extra);
    })().then(
      (value) => {
        this.logger.info({ ...this.fields(log), ...extra }, 'rpc ok');
        callback(null, value);
      },
      (error: unknown) => callback(this.report(error, log)),
    );
  }

  private unimplementedUnary(rpc: string): handleUnaryCall<Message, Message> {
    return (call, callback) =>
      this.unary(rpc, call.metadata, callback, async () => {
        throw new QueryError(QueryErrorCode.Unimplemented, `${rpc} is not supported`);
      });
  }

  private report(
    error: unknown,
    log: { requestId: string; rpc: string; user?: string | undefined; started: number },
  ): ServiceError {
    const failure = toGrpcFailure(error);
    const fields = { ...this.fields(log), code: status[failure.code] };
    if (failure.errorId)
      this.logger.error({ ...fields, errorId: failure.errorId, err: failure.cause }, 'rpc failed');
    else this.logger.warn({ ...fields, details: failure.details }, 'rpc failed');
    return grpcError(failure.code, failure.details);
  }

  private failStream(
    call: ServerWritableStream<Message, Message> | ServerDuplexStream<Message, Message>,
    error: unknown,
    log: { requestId: string; rpc: string; user?: string | undefined; started: number },
  ): void {
    const serviceError = this.report(error, log);
    if (call.cancelled || call.destroyed) return;
    call.emit('error', serviceError);
  }
}

/**
 * For EXPLAIN, a first row naming the route (`route` | `backend=duckdb catalogs=postgres`) ahead of
 * the engine's plan rows, in the engine's own columns so every client shows it.
 */
async function* withRouteRow(stream: QueryStream, route: string | undefined): AsyncIterable<RecordBatch> {
  if (route !== undefined) {
    const [key, value] = stream.schema.fields;
    const row =
      key && value
        ? { [key.name]: 'route', [value.name]: route }
        : key
          ? { [key.name]: `route: ${route}` }
          : {};
    yield batchFromRows(stream.schema, [row]);
  }
  yield* stream.batches;
}

/** DoPut results travel as bare messages in app_metadata, unlike action results which are packed in Any. */
function putResult(name: string, message: Message): Buffer {
  return encode(sqlType(name), message);
}

/** Adds the ARROW:FLIGHT:SQL:* column metadata GetTables' table_schema carries. */
function withColumnMetadata(
  schema: Schema,
  catalog: string,
  db: string,
  table: string,
  required: (column: string) => boolean,
): Schema {
  return new ArrowSchema(
    schema.fields.map((field) => {
      const metadata = new Map(field.metadata);
      metadata.set('ARROW:FLIGHT:SQL:CATALOG_NAME', catalog);
      metadata.set('ARROW:FLIGHT:SQL:DB_SCHEMA_NAME', db);
      metadata.set('ARROW:FLIGHT:SQL:TABLE_NAME', table);
      return new Field(field.name, field.type, !required(field.name), metadata);
    }),
    schema.metadata,
  );
}
