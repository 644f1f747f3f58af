export { parameterRows, type TypedParameter } from './arrow/arrow-to-duckdb.ts';
export { arrowSchemaOf, arrowTypeOf, toArrowData } from './arrow/duckdb-to-arrow.ts';
export {
  decodeSchema,
  encodeBatch,
  encodeBatches,
  encodeSchema,
  type IpcMessage,
  joinIpcMessages,
  readBatches,
  splitIpcStream,
  streamBatches,
} from './arrow/ipc.ts';
export {
  type AuthProvider,
  parseBasic,
  parseBearer,
  parseStaticUsers,
  StaticAuthProvider,
  type StaticUser,
  TokenStore,
} from './auth/auth.ts';
export type {
  Backend,
  ParameterRows,
  Principal,
  QueryStream,
  StatementDescription,
  StatementOptions,
} from './backend.ts';
export { type BackendFactory, BackendRegistry } from './backend.ts';
export {
  DUCKDB_CATALOG,
  DuckDBBackend,
  type DuckDBBackendOptions,
  LAKEHOUSE_CATALOG,
  type LakehouseOptions,
  POSTGRES_CATALOG,
} from './duckdb/duckdb-backend.ts';
export { classifyEngineError, QueryError, QueryErrorCode, toGrpcFailure } from './errors.ts';
export {
  FlightSqlClient,
  type FlightSqlClientOptions,
  type PreparedStatementHandle,
} from './flight/flight-sql-client.ts';
export {
  type FlightLogger,
  FlightSqlServer,
  type FlightSqlServerOptions,
  matchesPattern,
} from './flight/flight-sql-server.ts';
export {
  decode,
  encode,
  flightType,
  type Message,
  packAny,
  packSql,
  sqlType,
  unpackSql,
} from './flight/proto.ts';
export { SQL_INFO_SCHEMA, sqlInfoBatch, sqlInfoValues } from './flight/sql-info.ts';
export * from './p2p/index.ts';
export { type Route, StatementRouter } from './router.ts';
