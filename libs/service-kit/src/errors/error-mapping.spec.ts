import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConflictError, NotFoundError, ValidationError } from './domain-error.ts';
import { mapError } from './error-mapping.ts';

const fastifyError = (code: string, statusCode: number) =>
  Object.assign(new Error(code), { code, statusCode });

describe(mapError.name, () => {
  it('maps a domain error to its status, code and details', () => {
    const mapped = mapError(new ConflictError('TENANT_CYCLE', 'cycle', { a: 1 }), 'r1');
    expect(mapped.status).toBe(409);
    expect(mapped.body).toEqual({
      error: { code: 'TENANT_CYCLE', message: 'cycle', details: { a: 1 }, requestId: 'r1' },
    });
  });

  it('maps a not-found error to 404', () => {
    expect(mapError(new NotFoundError('X_NOT_FOUND', 'gone'), 'r').status).toBe(404);
  });

  it('maps validation errors to 400 with field errors', () => {
    const mapped = mapError(
      new ValidationError('bad', [{ path: 'slug', location: 'body', message: 'too short' }]),
      'r',
    );
    expect(mapped.status).toBe(400);
    expect(mapped.body.error.details).toEqual([{ path: 'slug', location: 'body', message: 'too short' }]);
  });

  it('maps a raw ZodError to 400 VALIDATION_FAILED with paths', () => {
    const result = z.object({ a: z.object({ b: z.number() }) }).safeParse({ a: { b: 'x' } });
    const mapped = mapError(result.error, 'r');
    expect(mapped.status).toBe(400);
    expect(mapped.body.error.code).toBe('VALIDATION_FAILED');
    expect(mapped.body.error.details).toEqual([expect.objectContaining({ path: 'a.b' })]);
  });

  it.each([
    ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 400, 'MALFORMED_JSON'],
    ['FST_ERR_CTP_EMPTY_JSON_BODY', 400, 400, 'MALFORMED_JSON'],
    ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 413, 'PAYLOAD_TOO_LARGE'],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 415, 'UNSUPPORTED_MEDIA_TYPE'],
  ])('maps Fastify %s to %i', (code, statusCode, status, errorCode) => {
    const mapped = mapError(fastifyError(code, statusCode), 'r');
    expect(mapped.status).toBe(status);
    expect(mapped.body.error.code).toBe(errorCode);
  });

  it('unwraps a Fastify error that Nest wrapped in an HttpException', () => {
    const wrapped = new HttpException('bad json', 400, {
      cause: fastifyError('FST_ERR_CTP_INVALID_JSON_BODY', 400),
    });
    expect(mapError(wrapped, 'r').body.error.code).toBe('MALFORMED_JSON');
  });

  it('maps an unknown route to 404 ROUTE_NOT_FOUND', () => {
    expect(mapError(new NotFoundException('Cannot GET /x'), 'r').body.error.code).toBe('ROUTE_NOT_FOUND');
  });

  it('keeps the status of other Nest HTTP exceptions', () => {
    expect(mapError(new BadRequestException('nope'), 'r').status).toBe(400);
  });

  it('hides the details of an unexpected error', () => {
    const mapped = mapError(new Error('connection string postgres://u:pw@h leaked'), 'r9');
    expect(mapped).toEqual({
      status: 500,
      unexpected: true,
      body: { error: { code: 'INTERNAL', message: 'internal server error', requestId: 'r9' } },
    });
  });
});
