/** Iceberg REST error types, as the catalog names them in `error.type`. */
export enum CatalogErrorCode {
  BadRequest = 'BadRequestException',
  NotAuthorized = 'NotAuthorizedException',
  Forbidden = 'ForbiddenException',
  NoSuchNamespace = 'NoSuchNamespaceException',
  NoSuchTable = 'NoSuchTableException',
  AlreadyExists = 'AlreadyExistsException',
  CommitFailed = 'CommitFailedException',
  /** The catalog could not say whether a commit was applied (5xx on a commit). */
  CommitStateUnknown = 'CommitStateUnknownException',
  ServiceUnavailable = 'ServiceUnavailableException',
  Unknown = 'UnknownException',
}

export class CatalogError extends Error {
  override readonly name = 'CatalogError';

  constructor(
    readonly code: CatalogErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** A commit lost the race (409): reload the table and try again. */
export class CommitFailedError extends CatalogError {
  constructor(message: string) {
    super(CatalogErrorCode.CommitFailed, message, 409);
  }
}

const BY_TYPE = new Set<string>(Object.values(CatalogErrorCode));

const BY_STATUS: Record<number, CatalogErrorCode> = {
  400: CatalogErrorCode.BadRequest,
  401: CatalogErrorCode.NotAuthorized,
  403: CatalogErrorCode.Forbidden,
  409: CatalogErrorCode.CommitFailed,
  503: CatalogErrorCode.ServiceUnavailable,
};

/** The typed error for a catalog's error response; on a commit, server errors leave the outcome unknown. */
export function catalogError(status: number, body: unknown, commit: boolean): CatalogError {
  const error = (body as { error?: { message?: unknown; type?: unknown } } | undefined)?.error;
  const message = typeof error?.message === 'string' ? error.message : `catalog answered ${status}`;
  const type = typeof error?.type === 'string' ? error.type : '';
  let code = BY_TYPE.has(type) ? (type as CatalogErrorCode) : (BY_STATUS[status] ?? CatalogErrorCode.Unknown);
  if (commit && status >= 500 && status !== 503) code = CatalogErrorCode.CommitStateUnknown;
  if (commit && status === 409) code = CatalogErrorCode.CommitFailed;
  return code === CatalogErrorCode.CommitFailed
    ? new CommitFailedError(message)
    : new CatalogError(code, message, status);
}
