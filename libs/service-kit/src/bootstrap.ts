import type { IncomingMessage } from 'node:http';
import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { ModulesContainer, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Kysely } from 'kysely';
import type { DestinationStream, Logger as PinoLogger } from 'pino';
import {
  type Buses,
  type BusName,
  connectBuses,
  controlBusConfigSchema,
  dataBusConfigSchema,
} from './bus/buses.ts';
import {
  ConfigError,
  loadConfig,
  maskConfig,
  type ServiceConfig,
  type ServiceConfigSchema,
} from './config/config.ts';
import { createKysely, type Migrations, migrateToLatest } from './database/database.ts';
import { ensureDatabase } from './database/provision.ts';
import { ReadinessService } from './health/readiness.service.ts';
import { AccessLog } from './logging/access-log.ts';
import { createRootLogger, PinoNestLogger } from './logging/logger.ts';
import { REQUEST_ID_HEADER, requestContext, resolveRequestId } from './logging/request-context.ts';
import { loadManifest, ManifestError, parseManifest, type ServiceManifest } from './manifest/manifest.ts';
import { buildOpenApiDocument, type OpenApiDocument } from './openapi/openapi.ts';
import { OutboxRelay } from './outbox/outbox.ts';
import { ServiceKitModule } from './service-kit.module.ts';

export interface ServiceDefinition<
  S extends ServiceConfigSchema | undefined = ServiceConfigSchema | undefined,
> {
  /** Path or file URL of `service.json`, or its parsed JSON; validated at boot either way. */
  manifest: string | URL | object;
  /** The service's root Nest module. */
  module: Type<unknown> | DynamicModule;
  /** The service's own variables, merged over the common ones. */
  configSchema?: S;
  migrations?: Migrations;
  /**
   * The buses the service connects to at boot, as its own principal (credentials from
   * OPENFOUNDRY_KAFKA_USERNAME/PASSWORD and OPENFOUNDRY_NATS_USER/PASSWORD); each becomes a
   * readiness check and is closed on shutdown.
   */
  buses?: readonly BusName[];
  /** Relay the service's transactional outbox table (see outboxMigration) to the buses. */
  outbox?: boolean;
  /** Extra readiness checks by name; each rejects (or throws) when its dependency is not usable. */
  readiness?: Record<string, (app: NestFastifyApplication) => Promise<unknown>>;
  /**
   * Variables set while only building documents (OpenAPI) with no database, e.g. a port of 0 so a
   * service that opens more than HTTP (a gRPC server) binds nothing that could clash.
   */
  documentEnv?: Record<string, string>;
  /** Runs after migrations, once the app is initialised and before it listens (e.g. demo seed data). */
  onReady?: (app: NestFastifyApplication, config: ServiceConfig<S>) => Promise<void>;
}

/** Identity function that keeps the config type of a service definition. */
export function defineService<S extends ServiceConfigSchema | undefined>(definition: ServiceDefinition<S>) {
  return definition;
}

export interface ServiceApp<S extends ServiceConfigSchema | undefined = ServiceConfigSchema | undefined> {
  app: NestFastifyApplication;
  config: ServiceConfig<S>;
  manifest: ServiceManifest;
  db: Kysely<unknown>;
  logger: PinoLogger;
  buses: Buses;
  outbox: OutboxRelay | undefined;
  /** Stops serving (in-flight requests finish), relays what is left, then closes buses and pool. */
  close(): Promise<void>;
}

export interface CreateServiceAppOptions {
  env?: Record<string, string | undefined>;
  /** Where JSON log lines go (default stdout). */
  logDestination?: DestinationStream;
  /** Provision the database (when DATABASE_ADMIN_URL is set) and migrate to latest. Default true. */
  migrate?: boolean;
  /** Run the definition's onReady hook. Default true. */
  runOnReady?: boolean;
  /** Connect the buses the definition asks for. Default true (false only to build documents). */
  connectBuses?: boolean;
}

function resolveManifest(manifest: ServiceDefinition['manifest']): ServiceManifest {
  return typeof manifest === 'string' || manifest instanceof URL
    ? loadManifest(manifest)
    : parseManifest(manifest);
}

@Module({})
class ServiceRootModule {}

/** Validates config, prepares the database and builds the initialised (not yet listening) Nest app. */
export async function createServiceApp<S extends ServiceConfigSchema | undefined>(
  definition: ServiceDefinition<S>,
  options: CreateServiceAppOptions = {},
): Promise<ServiceApp<S>> {
  const manifest = resolveManifest(definition.manifest);
  const wantedBuses = options.connectBuses === false ? [] : (definition.buses ?? []);
  let schema = definition.configSchema as ServiceConfigSchema | undefined;
  for (const [bus, busSchema] of [
    ['data', dataBusConfigSchema],
    ['control', controlBusConfigSchema],
  ] as const) {
    if (wantedBuses.includes(bus)) schema = schema ? schema.extend(busSchema.shape) : busSchema;
  }
  const config = loadConfig<S>(schema as S, options.env ?? process.env, {
    PORT: String(manifest.port),
  });
  const logger = createRootLogger({
    service: manifest.name,
    level: config.LOG_LEVEL,
    destination: options.logDestination,
  });
  logger.info({ context: 'Bootstrap', config: maskConfig(config) }, 'config loaded');

  if (options.migrate !== false && config.DATABASE_ADMIN_URL) {
    await ensureDatabase(config.DATABASE_ADMIN_URL, config.DATABASE_URL, logger);
  }
  const db = createKysely<unknown>({ url: config.DATABASE_URL, poolMax: config.DATABASE_POOL_MAX, logger });
  let buses: Buses | undefined;
  try {
    if (options.migrate !== false && definition.migrations) {
      await migrateToLatest(db, definition.migrations, logger);
    }
    buses = await connectBuses(manifest.name, wantedBuses, config as Record<string, unknown>, logger);
    const outbox =
      definition.outbox && wantedBuses.length > 0
        ? new OutboxRelay({ service: manifest.name, db, data: buses.data, control: buses.control, logger })
        : undefined;

    const adapter = new FastifyAdapter({
      loggerInstance: logger,
      bodyLimit: config.BODY_LIMIT_BYTES,
      // Path parameters carry ids up to 128 characters (asset ids, ADR 0014) plus encoding room.
      routerOptions: { maxParamLength: 512 },
      genReqId: (request: IncomingMessage) => resolveRequestId(request.headers[REQUEST_ID_HEADER]),
      logController: new AccessLog(),
    });
    // JSON only: Fastify's own JSON parser (typed FST_ errors, size limit) stays; text/plain goes, so 415.
    adapter.getInstance().removeContentTypeParser('text/plain');
    adapter.getInstance().addHook('onRequest', (request, reply, done) => {
      reply.header(REQUEST_ID_HEADER, request.id);
      requestContext.run({ requestId: String(request.id), log: request.log as PinoLogger }, done);
    });

    const root: DynamicModule = {
      module: ServiceRootModule,
      imports: [ServiceKitModule.forRoot({ config, manifest, db, buses, outbox }), definition.module],
    };
    const app = await NestFactory.create<NestFastifyApplication>(root, adapter, {
      logger: new PinoNestLogger(logger),
      abortOnError: false,
      bodyParser: false,
    });
    const readiness = app.get(ReadinessService);
    for (const [name, check] of Object.entries(definition.readiness ?? {}))
      readiness.register(name, () => check(app));
    const { data, control } = buses;
    if (data) readiness.register('data-bus', () => data.ping());
    if (control) readiness.register('control-bus', () => control.ping());
    await app.init();
    await adapter.getInstance().ready();
    if (options.runOnReady !== false && definition.onReady) await definition.onReady(app, config);
    outbox?.start();

    let closed: Promise<void> | undefined;
    const connected = buses;
    const close = () => {
      closed ??= (async () => {
        readiness.markShuttingDown();
        try {
          await app.close();
          await outbox?.stop();
          // What was committed before the HTTP server stopped leaves with this process if it can.
          await outbox
            ?.drain()
            .catch((error: unknown) =>
              logger.warn(
                { context: 'OutboxRelay', err: error },
                'outbox not drained at shutdown; the next start sends it',
              ),
            );
        } finally {
          await connected.close();
          await db.destroy();
        }
      })();
      return closed;
    };
    return { app, config, manifest, db, logger, buses, outbox, close };
  } catch (error) {
    await buses?.close();
    await db.destroy();
    throw error;
  }
}

/**
 * The whole `main.ts` of a service: config, database, migrations, HTTP, graceful shutdown.
 * Bad config or manifest: one line per problem on stderr and exit code 1, no stack trace.
 */
export async function bootstrapService<S extends ServiceConfigSchema | undefined>(
  definition: ServiceDefinition<S>,
): Promise<ServiceApp<S>> {
  let service: ServiceApp<S>;
  try {
    service = await createServiceApp(definition);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof ManifestError) {
      process.stderr.write(`${error.message}\n`);
    } else {
      process.stderr.write(`startup failed: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    process.exit(1);
  }
  const { app, config, logger } = service;
  await app.listen({ port: config.PORT ?? service.manifest.port, host: config.HOST });
  const address = app.getHttpServer().address();
  logger.info({ context: 'Bootstrap', address }, 'service listening');

  const shutdown = (signal: NodeJS.Signals) => {
    logger.info({ context: 'Bootstrap', signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ context: 'Bootstrap', timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out');
      logger.flush();
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    service.close().then(
      () => {
        logger.info({ context: 'Bootstrap' }, 'shutdown complete');
        logger.flush();
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ context: 'Bootstrap', err: error }, 'shutdown failed');
        logger.flush();
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  return service;
}

/** Builds the service's OpenAPI document without touching a database. */
export async function generateOpenApiDocument(definition: ServiceDefinition): Promise<OpenApiDocument> {
  const service = await createServiceApp(definition, {
    env: {
      ...definition.documentEnv,
      DATABASE_URL: 'postgres://openapi@127.0.0.1:1/openapi',
      LOG_LEVEL: 'silent',
    },
    migrate: false,
    runOnReady: false,
    connectBuses: false,
  });
  try {
    return buildOpenApiDocument(service.app.get(ModulesContainer), service.manifest);
  } finally {
    await service.close();
  }
}
