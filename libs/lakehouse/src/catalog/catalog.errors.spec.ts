import { describe, expect, it } from 'vitest';
import { CatalogErrorCode, CommitFailedError, catalogError } from './catalog.errors.ts';

const body = (type: string) => ({ error: { message: 'm', type, code: 0 } });

describe('catalogError', () => {
  it('maps a 409 on commit to CommitFailedError', () => {
    expect(catalogError(409, body('CommitFailedException'), true)).toBeInstanceOf(CommitFailedError);
  });

  it('keeps the Iceberg type of other errors', () => {
    expect(catalogError(409, body('AlreadyExistsException'), false).code).toBe(
      CatalogErrorCode.AlreadyExists,
    );
    expect(catalogError(404, body('NoSuchTableException'), false).code).toBe(CatalogErrorCode.NoSuchTable);
  });

  it('treats a server error on commit as an unknown outcome', () => {
    expect(catalogError(500, body('ServerError'), true).code).toBe(CatalogErrorCode.CommitStateUnknown);
    expect(catalogError(502, undefined, true).code).toBe(CatalogErrorCode.CommitStateUnknown);
    expect(catalogError(500, undefined, false).code).toBe(CatalogErrorCode.Unknown);
  });

  it('falls back to the status when the body is not the Iceberg error model', () => {
    expect(catalogError(401, 'nope', false).code).toBe(CatalogErrorCode.NotAuthorized);
    expect(catalogError(401, 'nope', false).message).toBe('catalog answered 401');
  });
});
