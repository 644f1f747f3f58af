/** Codes shared by every service; a service adds its own (e.g. `TENANT_CYCLE`). */
export const CommonErrorCode = {
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  MALFORMED_JSON: 'MALFORMED_JSON',
  NOT_FOUND: 'NOT_FOUND',
  ROUTE_NOT_FOUND: 'ROUTE_NOT_FOUND',
  CONFLICT: 'CONFLICT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL: 'INTERNAL',
} as const;
export type CommonErrorCode = (typeof CommonErrorCode)[keyof typeof CommonErrorCode];

export interface FieldError {
  /** Dotted path inside the request part, e.g. `settings.color`; empty for the whole part. */
  path: string;
  /** Which part of the request: body, query or params. */
  location?: 'body' | 'query' | 'params';
  message: string;
}

/** The one error shape every service returns over HTTP. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown; requestId: string };
}

/**
 * Base of every error a service raises on purpose. The code is stable and machine-readable;
 * the HTTP status is this transport's mapping of it.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus: number,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  constructor(code: string, message: string, details?: unknown) {
    super(code, message, 404, details);
  }
}

export class ConflictError extends DomainError {
  constructor(code: string, message: string, details?: unknown) {
    super(code, message, 409, details);
  }
}

export class ValidationError extends DomainError {
  constructor(message: string, details: FieldError[], code: string = CommonErrorCode.VALIDATION_FAILED) {
    super(code, message, 400, details);
  }
}
