import { DomainError, NotFoundError, ValidationError } from '@openfoundry/service-kit';

export const ConnectorErrorCode = {
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  DEVICE_NOT_FOUND: 'DEVICE_NOT_FOUND',
  COMMAND_NOT_FOUND: 'COMMAND_NOT_FOUND',
  MALFORMED_YAML: 'MALFORMED_YAML',
  DEVICE_MISMATCH: 'DEVICE_MISMATCH',
  REVISION_CONFLICT: 'REVISION_CONFLICT',
  DEVICE_TOO_LARGE: 'DEVICE_TOO_LARGE',
  COMMAND_TOO_LARGE: 'COMMAND_TOO_LARGE',
  INVALID_CURSOR: 'INVALID_CURSOR',
} as const;

export class UnauthorizedError extends DomainError {
  constructor() {
    super(ConnectorErrorCode.UNAUTHORIZED, 'missing or unknown bearer token', 401);
  }
}

/** Another tenant's resources: refused whether they exist or not, so nothing leaks. */
export class ForbiddenError extends DomainError {
  constructor(message: string) {
    super(ConnectorErrorCode.FORBIDDEN, message, 403);
  }
}

export class DeviceNotFoundError extends NotFoundError {
  constructor(tenant: string, device: string) {
    super(ConnectorErrorCode.DEVICE_NOT_FOUND, `device ${tenant}/${device} not found`);
  }
}

export class CommandNotFoundError extends NotFoundError {
  constructor(tenant: string, commandId: string) {
    super(ConnectorErrorCode.COMMAND_NOT_FOUND, `command ${commandId} of tenant ${tenant} not found`);
  }
}

export class DeviceMismatchError extends ValidationError {
  constructor(field: 'tenant' | 'id', inPath: string, inBody: string) {
    super(`the body's ${field} "${inBody}" is not the ${field} in the path "${inPath}"`, [
      { path: field, location: 'body', message: `must be "${inPath}" (the path's ${field}) or left out` },
    ]);
  }
}

export class RevisionConflictError extends DomainError {
  constructor(given: number, current: number | undefined) {
    super(
      ConnectorErrorCode.REVISION_CONFLICT,
      current === undefined
        ? `revision ${given} given, but the device does not exist yet: leave revision out to create it`
        : `revision ${given} given, but the device is at revision ${current}: reload it, or leave revision out to overwrite`,
      409,
      { given, current: current ?? null },
    );
  }
}

export class DeviceTooLargeError extends DomainError {
  constructor(bytes: number, max: number) {
    super(
      ConnectorErrorCode.DEVICE_TOO_LARGE,
      `the device spec is ${bytes} bytes as JSON; at most ${max} fit in a replica's assignment`,
      413,
      { bytes, max },
    );
  }
}

export class CommandTooLargeError extends DomainError {
  constructor(bytes: number, max: number) {
    super(
      ConnectorErrorCode.COMMAND_TOO_LARGE,
      `the command is ${bytes} bytes as JSON; at most ${max} fit, with its outcome, in one control-bus message (its record on the asset stream travels so)`,
      413,
      { bytes, max },
    );
  }
}

export class InvalidCursorError extends ValidationError {
  constructor() {
    super(
      'invalid cursor',
      [{ path: 'cursor', location: 'query', message: 'not a cursor returned by this API' }],
      ConnectorErrorCode.INVALID_CURSOR,
    );
  }
}
