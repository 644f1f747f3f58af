import { DomainError } from '@openfoundry/service-kit';

export const AuthErrorCode = {
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  ADMIN_DISABLED: 'ADMIN_DISABLED',
} as const;

export class UnauthorizedError extends DomainError {
  constructor() {
    super(AuthErrorCode.UNAUTHORIZED, 'a valid bearer token is required', 401);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message: string, code: string = AuthErrorCode.FORBIDDEN) {
    super(code, message, 403);
  }
}
