import { ConflictError, NotFoundError, ValidationError } from '@openfoundry/service-kit';
import { MAX_TENANT_DEPTH } from './dto/tenant.dto.ts';

export const TenantErrorCode = {
  TENANT_NOT_FOUND: 'TENANT_NOT_FOUND',
  PARENT_NOT_FOUND: 'PARENT_NOT_FOUND',
  TENANT_SLUG_TAKEN: 'TENANT_SLUG_TAKEN',
  TENANT_CYCLE: 'TENANT_CYCLE',
  TENANT_HAS_CHILDREN: 'TENANT_HAS_CHILDREN',
  TENANT_TOO_DEEP: 'TENANT_TOO_DEEP',
  INVALID_CURSOR: 'INVALID_CURSOR',
} as const;

export class TenantNotFoundError extends NotFoundError {
  constructor(key: string) {
    super(TenantErrorCode.TENANT_NOT_FOUND, `tenant ${key} not found`);
  }
}

export class ParentNotFoundError extends NotFoundError {
  constructor(parentId: string) {
    super(TenantErrorCode.PARENT_NOT_FOUND, `parent tenant ${parentId} not found`);
  }
}

export class SlugTakenError extends ConflictError {
  constructor(slug: string) {
    super(TenantErrorCode.TENANT_SLUG_TAKEN, `slug "${slug}" is already used by another tenant`);
  }
}

export class TenantCycleError extends ConflictError {
  constructor(tenantId: string, parentId: string) {
    super(
      TenantErrorCode.TENANT_CYCLE,
      `tenant ${parentId} is ${tenantId} itself or one of its descendants, so it cannot become its parent`,
      { tenantId, parentId },
    );
  }
}

export class TenantHasChildrenError extends ConflictError {
  constructor(tenantId: string) {
    super(
      TenantErrorCode.TENANT_HAS_CHILDREN,
      `tenant ${tenantId} has children; delete them first or pass ?cascade=true`,
    );
  }
}

export class TenantTooDeepError extends ConflictError {
  constructor(depth: number) {
    super(
      TenantErrorCode.TENANT_TOO_DEEP,
      `the hierarchy would be ${depth} levels deep; at most ${MAX_TENANT_DEPTH} are allowed`,
      { depth, max: MAX_TENANT_DEPTH },
    );
  }
}

export class InvalidCursorError extends ValidationError {
  constructor() {
    super('invalid cursor', [
      { path: 'cursor', location: 'query', message: 'not a cursor returned by this API' },
    ]);
  }
}
