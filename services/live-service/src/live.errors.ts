import { DomainError } from '@openfoundry/service-kit';

/** Codes of the errors live-service raises on purpose; each maps to one HTTP status. */
export const LiveErrorCode = {
  UNAUTHENTICATED: 'LIVE_UNAUTHENTICATED',
  FORBIDDEN_TENANT: 'LIVE_FORBIDDEN_TENANT',
  INVALID_FILTER: 'LIVE_INVALID_FILTER',
  TOO_MANY_FILTERS: 'LIVE_TOO_MANY_FILTERS',
  TOO_MANY_CONNECTIONS: 'LIVE_TOO_MANY_CONNECTIONS',
  UPGRADE_REQUIRED: 'LIVE_UPGRADE_REQUIRED',
  SHUTTING_DOWN: 'LIVE_SHUTTING_DOWN',
} as const;

export class UnauthenticatedError extends DomainError {
  constructor() {
    super(LiveErrorCode.UNAUTHENTICATED, 'missing or unknown bearer token', 401);
  }
}

export class ForbiddenTenantError extends DomainError {
  constructor(tenant: string) {
    super(LiveErrorCode.FORBIDDEN_TENANT, `this token may not read tenant ${JSON.stringify(tenant)}`, 403);
  }
}

export class InvalidFilterError extends DomainError {
  constructor(message: string, details?: unknown) {
    super(LiveErrorCode.INVALID_FILTER, message, 400, details);
  }
}

export class TooManyFiltersError extends DomainError {
  constructor(limit: number) {
    super(LiveErrorCode.TOO_MANY_FILTERS, `a connection may hold at most ${limit} filters`, 400, { limit });
  }
}

export class TooManyConnectionsError extends DomainError {
  constructor(tenant: string, limit: number) {
    super(
      LiveErrorCode.TOO_MANY_CONNECTIONS,
      `tenant ${tenant} has ${limit} live connections open on this instance already`,
      429,
      { limit },
    );
  }
}

export class UpgradeRequiredError extends DomainError {
  constructor() {
    super(LiveErrorCode.UPGRADE_REQUIRED, 'this endpoint speaks WebSocket only (Upgrade: websocket)', 426);
  }
}

export class ShuttingDownError extends DomainError {
  constructor() {
    super(LiveErrorCode.SHUTTING_DOWN, 'the service is shutting down; reconnect to another instance', 503);
  }
}
