import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { classifyEngineError, QueryErrorCode, toGrpcFailure } from './errors.ts';

describe('classifyEngineError', () => {
  it.each([
    ['Parser Error: syntax error at or near "selec"', QueryErrorCode.InvalidArgument],
    ['Binder Error: Referenced column "x" not found', QueryErrorCode.InvalidArgument],
    ['Conversion Error: Could not convert string', QueryErrorCode.InvalidArgument],
    ['Catalog Error: Table with name nope does not exist!', QueryErrorCode.NotFound],
    ['Catalog Error: Schema with name s does not exist!', QueryErrorCode.NotFound],
    ['Binder Error: Catalog "memory" does not exist!', QueryErrorCode.NotFound],
    ['Catalog Error: Scalar Function with name f does not exist!', QueryErrorCode.InvalidArgument],
    ['INTERRUPT Error: Interrupted!', QueryErrorCode.Cancelled],
    ['Permission Error: Cannot access file', QueryErrorCode.PermissionDenied],
    [
      'Invalid Input Error: Cannot execute statement of type "CREATE" on database "postgres" which is attached in read-only mode!',
      QueryErrorCode.PermissionDenied,
    ],
    ['Out of Memory Error: failed to allocate', QueryErrorCode.ResourceExhausted],
    [
      'HTTP Error: GetTableInformation endpoint returned response code Forbidden_403 with message "Tenant acme may not access namespace globex.telemetry"',
      QueryErrorCode.PermissionDenied,
    ],
    [
      'HTTP Error: GetTableInformation endpoint returned response code NotFound_404 with message "no table t"',
      QueryErrorCode.NotFound,
    ],
    [
      'HTTP Error: GetTableInformation endpoint returned response code InternalServerError_500',
      QueryErrorCode.Internal,
    ],
    ['something nobody expected', QueryErrorCode.Internal],
  ])('%s → %s', (message, code) => {
    expect(classifyEngineError(new Error(message)).code).toBe(code);
  });
});

describe('toGrpcFailure', () => {
  it("keeps the engine's message for client errors", () => {
    const failure = toGrpcFailure(new Error('Parser Error: syntax error at end of input'));
    expect(failure).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: 'Parser Error: syntax error at end of input',
    });
  });

  it('hides internal errors behind an id', () => {
    const failure = toGrpcFailure(new Error('segment 7 exploded at /srv/secret/path'));
    expect(failure.code).toBe(status.INTERNAL);
    expect(failure.details).not.toContain('/srv/secret/path');
    expect(failure.details).toContain(failure.errorId as string);
  });
});
