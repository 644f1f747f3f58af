import { DomainError, NotFoundError } from '@openfoundry/service-kit';

export const IngestErrorCode = {
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN_TENANT: 'FORBIDDEN_TENANT',
  DEVICE_NOT_FOUND: 'DEVICE_NOT_FOUND',
  MALFORMED_BODY: 'MALFORMED_BODY',
  OVERLOADED: 'OVERLOADED',
  NOT_ASSIGNED: 'NOT_ASSIGNED',
} as const;

export class UnauthorizedError extends DomainError {
  constructor() {
    super(IngestErrorCode.UNAUTHORIZED, 'a valid bearer token is required', 401);
  }
}

export class ForbiddenTenantError extends DomainError {
  constructor(tenant: string) {
    super(IngestErrorCode.FORBIDDEN_TENANT, `the token may not push data for tenant ${tenant}`, 403);
  }
}

export class DeviceNotFoundError extends NotFoundError {
  constructor(tenant: string, device: string) {
    super(IngestErrorCode.DEVICE_NOT_FOUND, `no HTTP push device ${tenant}/${device} runs on this replica`);
  }
}

export class MalformedBodyError extends DomainError {
  constructor(message: string) {
    super(IngestErrorCode.MALFORMED_BODY, message, 400);
  }
}

export class OverloadedError extends DomainError {
  constructor() {
    super(IngestErrorCode.OVERLOADED, 'too many records wait for the data bus; retry later', 503);
  }
}

/**
 * The replica started and has not applied an assignment yet, so it cannot tell whether the device
 * will run here: a retry moments later finds out (a 404 would make the device give its data up).
 */
export class NotAssignedError extends DomainError {
  constructor() {
    super(IngestErrorCode.NOT_ASSIGNED, 'this replica has not received its devices yet; retry later', 503);
  }
}
