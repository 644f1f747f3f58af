import { DomainError } from '@openfoundry/service-kit';

/**
 * The error types of the Iceberg REST error model. The type is what clients dispatch on (PyIceberg
 * and the Java client map it, with the status, to their own exception classes), so it is the code.
 */
export const IcebergErrorType = {
  BAD_REQUEST: 'BadRequestException',
  NOT_AUTHORIZED: 'NotAuthorizedException',
  FORBIDDEN: 'ForbiddenException',
  NO_SUCH_NAMESPACE: 'NoSuchNamespaceException',
  NO_SUCH_TABLE: 'NoSuchTableException',
  NO_SUCH_VIEW: 'NoSuchViewException',
  NOT_FOUND: 'NotFoundException',
  ALREADY_EXISTS: 'AlreadyExistsException',
  NAMESPACE_NOT_EMPTY: 'NamespaceNotEmptyException',
  COMMIT_FAILED: 'CommitFailedException',
  UNSUPPORTED_MEDIA_TYPE: 'UnsupportedMediaTypeException',
  SERVICE_UNAVAILABLE: 'ServiceUnavailableException',
  SERVER_ERROR: 'InternalServerError',
} as const;
export type IcebergErrorType = (typeof IcebergErrorType)[keyof typeof IcebergErrorType];

export class BadRequestError extends DomainError {
  constructor(message: string) {
    super(IcebergErrorType.BAD_REQUEST, message, 400);
  }
}

export class NotAuthorizedError extends DomainError {
  constructor(message = 'missing or unknown bearer token') {
    super(IcebergErrorType.NOT_AUTHORIZED, message, 401);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message: string) {
    super(IcebergErrorType.FORBIDDEN, message, 403);
  }
}

export class NoSuchNamespaceError extends DomainError {
  constructor(namespace: readonly string[]) {
    super(IcebergErrorType.NO_SUCH_NAMESPACE, `Namespace does not exist: ${namespace.join('.')}`, 404);
  }
}

export class NoSuchTableError extends DomainError {
  constructor(namespace: readonly string[], name: string) {
    super(IcebergErrorType.NO_SUCH_TABLE, `Table does not exist: ${[...namespace, name].join('.')}`, 404);
  }
}

export class NotFoundError extends DomainError {
  constructor(message: string) {
    super(IcebergErrorType.NOT_FOUND, message, 404);
  }
}

export class AlreadyExistsError extends DomainError {
  constructor(message: string) {
    super(IcebergErrorType.ALREADY_EXISTS, message, 409);
  }
}

export class NamespaceNotEmptyError extends DomainError {
  constructor(namespace: readonly string[]) {
    super(IcebergErrorType.NAMESPACE_NOT_EMPTY, `Namespace is not empty: ${namespace.join('.')}`, 409);
  }
}

/** A requirement no longer holds, or another commit swapped the pointer first: reload and retry. */
export class CommitFailedError extends DomainError {
  constructor(message: string) {
    super(IcebergErrorType.COMMIT_FAILED, message, 409);
  }
}

export class UnprocessableEntityError extends DomainError {
  constructor(message: string) {
    super('UnprocessableEntityException', message, 422);
  }
}

export class NoSuchViewError extends DomainError {
  constructor(namespace: readonly string[], name: string) {
    super(IcebergErrorType.NO_SUCH_VIEW, `View does not exist: ${[...namespace, name].join('.')}`, 404);
  }
}
