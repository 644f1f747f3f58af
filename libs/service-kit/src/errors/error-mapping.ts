import { HttpException } from '@nestjs/common';
import { ZodError } from 'zod';
import { CommonErrorCode, DomainError, type ErrorBody, type FieldError } from './domain-error.ts';

export interface MappedError {
  status: number;
  body: ErrorBody;
  /** True for failures that are the server's fault: they are logged with their stack. */
  unexpected: boolean;
}

export function zodIssuesToFieldErrors(error: ZodError, location?: FieldError['location']): FieldError[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    ...(location ? { location } : {}),
    message: issue.message,
  }));
}

const STATUS_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: CommonErrorCode.NOT_FOUND,
  405: CommonErrorCode.METHOD_NOT_ALLOWED,
  409: CommonErrorCode.CONFLICT,
  413: CommonErrorCode.PAYLOAD_TOO_LARGE,
  415: CommonErrorCode.UNSUPPORTED_MEDIA_TYPE,
  429: 'TOO_MANY_REQUESTS',
  503: CommonErrorCode.SERVICE_UNAVAILABLE,
};

interface FastifyLikeError {
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
}

function fastifyError(error: unknown): { code: string; status: number; message: string } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, statusCode, message } = error as FastifyLikeError;
  if (typeof code !== 'string' || !code.startsWith('FST_')) return undefined;
  const status = typeof statusCode === 'number' ? statusCode : 500;
  return { code, status, message: typeof message === 'string' ? message : code };
}

/** Maps anything thrown while handling a request to a status and the shared error body. */
export function mapError(error: unknown, requestId: string): MappedError {
  const make = (status: number, code: string, message: string, details?: unknown): MappedError => ({
    status,
    body: { error: { code, message, ...(details === undefined ? {} : { details }), requestId } },
    unexpected: status >= 500,
  });

  if (error instanceof DomainError) return make(error.httpStatus, error.code, error.message, error.details);
  if (error instanceof ZodError) {
    return make(
      400,
      CommonErrorCode.VALIDATION_FAILED,
      'request validation failed',
      zodIssuesToFieldErrors(error),
    );
  }

  const fst = fastifyError(error);
  if (fst) {
    switch (fst.code) {
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return make(400, CommonErrorCode.MALFORMED_JSON, 'request body is not valid JSON');
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return make(413, CommonErrorCode.PAYLOAD_TOO_LARGE, 'request body is too large');
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return make(fst.status, STATUS_CODES[fst.status] ?? 'BAD_REQUEST', fst.message);
      default:
        if (fst.status < 500) return make(fst.status, STATUS_CODES[fst.status] ?? 'BAD_REQUEST', fst.message);
        return make(500, CommonErrorCode.INTERNAL, 'internal server error');
    }
  }
  // Fastify's JSON parser raises a plain SyntaxError with statusCode 400.
  if (error instanceof SyntaxError && (error as FastifyLikeError).statusCode === 400) {
    return make(400, CommonErrorCode.MALFORMED_JSON, 'request body is not valid JSON');
  }

  if (error instanceof HttpException) {
    // Nest wraps Fastify's client errors (bad JSON, body too large) and keeps them as the cause.
    if (fastifyError(error.cause) || error.cause instanceof SyntaxError)
      return mapError(error.cause, requestId);
    const status = error.getStatus();
    if (status >= 500)
      return make(status, STATUS_CODES[status] ?? CommonErrorCode.INTERNAL, 'internal server error');
    const code = status === 404 ? CommonErrorCode.ROUTE_NOT_FOUND : (STATUS_CODES[status] ?? 'BAD_REQUEST');
    return make(status, code, error.message);
  }

  return make(500, CommonErrorCode.INTERNAL, 'internal server error');
}
