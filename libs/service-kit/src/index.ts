import 'reflect-metadata';

export {
  bootstrapService,
  createServiceApp,
  defineService,
  generateOpenApiDocument,
  type ServiceApp,
  type ServiceDefinition,
} from './bootstrap.ts';
export {
  type Buses,
  type BusName,
  CONTROL_BUS,
  controlBusConfigSchema,
  DATA_BUS,
  dataBusConfigSchema,
  InjectControlBus,
  InjectDataBus,
} from './bus/buses.ts';
export {
  type CommonConfig,
  ConfigError,
  commonConfigSchema,
  DEV_TENANT_TOKENS,
  loadConfig,
  maskConfig,
  maskUrl,
  type ServiceConfig,
  tenantTokensSchema,
} from './config/config.ts';
export { InjectDb, KYSELY, type Migrations, migrateToLatest, pingDatabase } from './database/database.ts';
export { ensureDatabase, parseDatabaseUrl } from './database/provision.ts';
export {
  CommonErrorCode,
  ConflictError,
  DomainError,
  type ErrorBody,
  type FieldError,
  NotFoundError,
  ValidationError,
} from './errors/domain-error.ts';
export { mapError } from './errors/error-mapping.ts';
export { ReadinessService } from './health/readiness.service.ts';
export { ApiOperation, apiSchema, ZodBody, ZodParam, ZodQuery, ZodValidationPipe } from './http/zod.ts';
export { currentRequestId, REQUEST_ID_HEADER, resolveRequestId } from './logging/request-context.ts';
export {
  loadManifest,
  parseManifest,
  type ServiceManifest,
  serviceManifestSchema,
} from './manifest/manifest.ts';
export { type OpenApiDocument, serializeOpenApiDocument } from './openapi/openapi.ts';
export { checkOpenApiDocument, packageRoot, writeOpenApiDocument } from './openapi/write.ts';
export { outboxMigration } from './outbox/outbox.migration.ts';
export {
  appendToOutbox,
  type OutboxEntry,
  type OutboxRecord,
  OutboxRelay,
  type OutboxSignal,
} from './outbox/outbox.ts';
export { InjectConfig, InjectOutbox, OUTBOX_RELAY, SERVICE_CONFIG, SERVICE_MANIFEST } from './tokens.ts';
