import { status } from '@grpc/grpc-js';
import { QueryError, QueryErrorCode } from '../errors.ts';

const FROM_GRPC: Partial<Record<status, QueryErrorCode>> = {
  [status.INVALID_ARGUMENT]: QueryErrorCode.InvalidArgument,
  [status.NOT_FOUND]: QueryErrorCode.NotFound,
  [status.UNAUTHENTICATED]: QueryErrorCode.Unauthenticated,
  [status.PERMISSION_DENIED]: QueryErrorCode.PermissionDenied,
  [status.UNIMPLEMENTED]: QueryErrorCode.Unimplemented,
  [status.CANCELLED]: QueryErrorCode.Cancelled,
  [status.DEADLINE_EXCEEDED]: QueryErrorCode.DeadlineExceeded,
  [status.UNAVAILABLE]: QueryErrorCode.Unavailable,
  [status.RESOURCE_EXHAUSTED]: QueryErrorCode.ResourceExhausted,
};

function isGrpcError(error: unknown): error is { code: status; details?: string; message: string } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'number';
}

/**
 * The QueryError for a failure of a peer's Flight SQL call: the gRPC status becomes the code
 * (the inverse of `toGrpcFailure`) and the message names the peer, so that a caller can tell a
 * peer's refusal from a local failure. Anything that is not a gRPC status passes through unchanged.
 */
export function peerError(peer: string | undefined, error: unknown): unknown {
  if (!isGrpcError(error)) return error;
  const code = FROM_GRPC[error.code] ?? QueryErrorCode.Internal;
  const details = error.details || error.message;
  return new QueryError(code, peer ? `peer ${peer}: ${details}` : `peer: ${details}`);
}
