import { NotFoundException } from '@nestjs/common';
import { ValidationError } from '@openfoundry/service-kit';
import { describe, expect, it } from 'vitest';
import { CommitFailedError, NoSuchTableError } from '../catalog.errors.ts';
import { toIcebergError } from './iceberg-exception.filter.ts';

describe(toIcebergError.name, () => {
  it('keeps the Iceberg type of a catalog error and puts the status in code', () => {
    expect(toIcebergError(new NoSuchTableError(['acme', 'db'], 't'), 'r').body).toEqual({
      error: { message: 'Table does not exist: acme.db.t', type: 'NoSuchTableException', code: 404 },
    });
    expect(toIcebergError(new CommitFailedError('stale'), 'r').body.error).toMatchObject({
      type: 'CommitFailedException',
      code: 409,
    });
  });

  it('turns validation failures into BadRequestException naming the fields', () => {
    const mapped = toIcebergError(
      new ValidationError('invalid request body', [
        { path: 'updates.0.action', location: 'body', message: 'Invalid input' },
      ]),
      'r',
    );
    expect(mapped.body.error).toEqual({
      message: 'invalid request body: updates.0.action: Invalid input',
      type: 'BadRequestException',
      code: 400,
    });
  });

  it('maps an unknown route to NotFoundException', () => {
    expect(toIcebergError(new NotFoundException('Cannot GET /x'), 'r').body.error.type).toBe(
      'NotFoundException',
    );
  });

  it('hides everything about an unexpected error', () => {
    const mapped = toIcebergError(new Error('password=hunter2 at db.ts:12'), 'r');
    expect(mapped).toEqual({
      status: 500,
      unexpected: true,
      body: { error: { message: 'internal server error', type: 'InternalServerError', code: 500 } },
    });
  });
});
