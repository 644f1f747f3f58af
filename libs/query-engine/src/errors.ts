import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';

/** Why a statement failed, independent of the transport that reports it (see ADR 0004's table). */
export enum QueryErrorCode {
  InvalidArgument = 'INVALID_ARGUMENT',
  NotFound = 'NOT_FOUND',
  Unauthenticated = 'UNAUTHENTICATED',
  PermissionDenied = 'PERMISSION_DENIED',
  Unimplemented = 'UNIMPLEMENTED',
  Cancelled = 'CANCELLED',
  DeadlineExceeded = 'DEADLINE_EXCEEDED',
  Unavailable = 'UNAVAILABLE',
  ResourceExhausted = 'RESOURCE_EXHAUSTED',
  Internal = 'INTERNAL',
}

export class QueryError extends Error {
  override name = 'QueryError';
  constructor(
    readonly code: QueryErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const NOT_FOUND =
  /^(Catalog Error: (Table|View|Schema|Catalog|Table Function) with name .* does not exist|Binder Error: Catalog ".*" does not exist)/;
const CLIENT_ERRORS =
  /^(Parser|Binder|Conversion|Invalid Input|Constraint|Catalog|Not implemented|Dependency|Syntax|Transaction|Out of Range|Sequence|Mismatch Type|Invalid type) Error/;

/** Maps an engine error (DuckDB's "<Kind> Error: …" messages) to a QueryError, keeping the engine's message. */
export function classifyEngineError(error: unknown): QueryError {
  if (error instanceof QueryError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (NOT_FOUND.test(message)) return new QueryError(QueryErrorCode.NotFound, message);
  // The Iceberg REST catalog's answers, as DuckDB's iceberg extension reports them: 403 is the
  // catalog refusing the caller's tenant another tenant's namespace, 404 a table or namespace it
  // does not have. Its message names only what was asked for.
  if (/^HTTP Error: .* response code Forbidden_403/.test(message))
    return new QueryError(QueryErrorCode.PermissionDenied, message);
  if (/^HTTP Error: .* response code NotFound_404/.test(message))
    return new QueryError(QueryErrorCode.NotFound, message);
  if (/^INTERRUPT Error/.test(message)) return new QueryError(QueryErrorCode.Cancelled, message);
  if (/^Permission Error|attached in read-only mode/.test(message))
    return new QueryError(QueryErrorCode.PermissionDenied, message);
  if (/^Out of Memory Error/.test(message)) return new QueryError(QueryErrorCode.ResourceExhausted, message);
  if (/^IO Error: Unable to connect|could not connect|Connection refused/i.test(message))
    return new QueryError(QueryErrorCode.Unavailable, message);
  if (CLIENT_ERRORS.test(message)) return new QueryError(QueryErrorCode.InvalidArgument, message);
  return new QueryError(QueryErrorCode.Internal, message);
}

const GRPC_STATUS: Record<QueryErrorCode, status> = {
  [QueryErrorCode.InvalidArgument]: status.INVALID_ARGUMENT,
  [QueryErrorCode.NotFound]: status.NOT_FOUND,
  [QueryErrorCode.Unauthenticated]: status.UNAUTHENTICATED,
  [QueryErrorCode.PermissionDenied]: status.PERMISSION_DENIED,
  [QueryErrorCode.Unimplemented]: status.UNIMPLEMENTED,
  [QueryErrorCode.Cancelled]: status.CANCELLED,
  [QueryErrorCode.DeadlineExceeded]: status.DEADLINE_EXCEEDED,
  [QueryErrorCode.Unavailable]: status.UNAVAILABLE,
  [QueryErrorCode.ResourceExhausted]: status.RESOURCE_EXHAUSTED,
  [QueryErrorCode.Internal]: status.INTERNAL,
};

export interface GrpcFailure {
  code: status;
  details: string;
  /** Set for INTERNAL: the id the client sees and the log line carries. */
  errorId?: string;
  cause: unknown;
}

/** The one mapping from a failure to a gRPC status; internal failures hide their message behind an id. */
export function toGrpcFailure(error: unknown): GrpcFailure {
  const classified = classifyEngineError(error);
  if (classified.code === QueryErrorCode.Internal) {
    const errorId = randomUUID();
    return { code: status.INTERNAL, details: `internal error (error id ${errorId})`, errorId, cause: error };
  }
  return { code: GRPC_STATUS[classified.code], details: classified.message, cause: error };
}
