import { readFileSync } from 'node:fs';
import { ServerCredentials } from '@grpc/grpc-js';
import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import {
  BackendRegistry,
  DuckDBBackend,
  type FlightLogger,
  FlightSqlServer,
  parseStaticUsers,
  StaticAuthProvider,
  TokenStore,
} from '@openfoundry/query-engine';
import { InjectConfig } from '@openfoundry/service-kit';
import { lakehouseOptions, libpqConnectionString, type SqlGatewayConfig } from '../config.ts';

/** Owns the DuckDB engine and the gRPC Flight SQL server for the life of the Nest app. */
@Injectable()
export class FlightSqlEdge implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(FlightSqlEdge.name);
  private engines: BackendRegistry | undefined;
  private server: FlightSqlServer | undefined;

  constructor(@InjectConfig() private readonly config: SqlGatewayConfig) {}

  async onApplicationBootstrap(): Promise<void> {
    const config = this.config;
    const postgresUrl = config.SQL_POSTGRES_CATALOG
      ? (config.SQL_POSTGRES_CATALOG_URL ?? config.DATABASE_URL)
      : undefined;
    // Each engine kind starts when it has a configuration; the trino and vector engines join this
    // list as their issues land. The lakehouse is a catalog of the DuckDB engine (ADR 0011).
    this.engines = await BackendRegistry.start(
      { duckdb: DuckDBBackend.factory },
      {
        duckdb: {
          extensionDirectory: config.OPENFOUNDRY_DUCKDB_EXTENSION_DIR,
          postgres: postgresUrl ? libpqConnectionString(postgresUrl) : undefined,
          lakehouse: lakehouseOptions(config),
          batchBytes: config.SQL_BATCH_BYTES,
          maxConcurrent: config.SQL_MAX_CONCURRENT,
          maxQueued: config.SQL_MAX_QUEUED,
          statementTimeoutMs: config.SQL_STATEMENT_TIMEOUT_MS,
          maxRows: config.SQL_MAX_ROWS,
          maxBytes: config.SQL_MAX_RESULT_BYTES,
        },
      },
    );
    const log: FlightLogger = {
      info: (fields, msg) => this.logger.log({ ...fields, msg }),
      warn: (fields, msg) => this.logger.warn({ ...fields, msg }),
      error: (fields, msg) => this.logger.error({ ...fields, msg }),
    };
    this.server = new FlightSqlServer({
      registry: this.engines,
      auth: new StaticAuthProvider(parseStaticUsers(config.OPENFOUNDRY_SQL_USERS), this.engines.catalogs),
      tokens: new TokenStore(config.SQL_TOKEN_TTL_MS),
      logger: log,
      maxReceiveMessageBytes: config.SQL_MAX_MESSAGE_BYTES,
    });
    const credentials =
      config.FLIGHT_SQL_TLS_CERT_FILE && config.FLIGHT_SQL_TLS_KEY_FILE
        ? ServerCredentials.createSsl(null, [
            {
              cert_chain: readFileSync(config.FLIGHT_SQL_TLS_CERT_FILE),
              private_key: readFileSync(config.FLIGHT_SQL_TLS_KEY_FILE),
            },
          ])
        : ServerCredentials.createInsecure();
    const port = await this.server.listen(config.FLIGHT_SQL_HOST, config.FLIGHT_SQL_PORT, credentials);
    this.logger.log({
      msg: 'flight sql listening',
      host: config.FLIGHT_SQL_HOST,
      port,
      catalogs: this.engines.catalogs,
      tls: Boolean(config.FLIGHT_SQL_TLS_CERT_FILE),
    });
  }

  /** The catalogs the engine serves (each user sees the ones granted to them). */
  get catalogs(): readonly string[] {
    return this.engines?.catalogs ?? [];
  }

  /** Whether the gRPC port speaks TLS. */
  get tls(): boolean {
    return Boolean(this.config.FLIGHT_SQL_TLS_CERT_FILE && this.config.FLIGHT_SQL_TLS_KEY_FILE);
  }

  /** The gRPC port actually bound (0 in config picks a free one). */
  get port(): number | undefined {
    return this.server?.listeningPort;
  }

  /** Readiness: the gRPC server is listening and every engine answers. */
  async ping(): Promise<void> {
    if (!this.server?.listeningPort || !this.engines) throw new Error('flight sql server not listening');
    await Promise.all(this.engines.backends.map((backend) => backend.ping()));
  }

  async beforeApplicationShutdown(): Promise<void> {
    // Stop taking calls, let running streams finish (bounded), then close the engine.
    await this.server?.close(Math.max(1_000, this.config.SHUTDOWN_TIMEOUT_MS - 2_000));
    await this.engines?.close();
    this.logger.log({ msg: 'flight sql stopped' });
  }
}
