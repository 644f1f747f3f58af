import { JetStreamApiError } from '@nats-io/jetstream';
import { errors } from '@nats-io/nats-core';
import { BusError, BusErrorCode } from '@openfoundry/bus-registry';
import { describe, expect, it } from 'vitest';
import { fromErrorShape, RemoteError, toBusError, toErrorShape } from './errors.ts';

describe(toBusError.name, () => {
  it('surfaces a permission violation, also when nested, as Unauthorized with the server’s words', () => {
    const violation = new errors.PermissionViolationError(
      'Permissions Violation for Publish to "x.y"',
      'publish',
      'x.y',
    );
    const nested = new errors.RequestError('Permissions Violation for Publish to "x.y"', {
      cause: violation,
    });
    for (const error of [violation, nested]) {
      const mapped = toBusError(error, 'publish x.y');
      expect(mapped.code).toBe(BusErrorCode.Unauthorized);
      expect(mapped.message).toBe(
        'publish x.y: the server refused it: Permissions Violation for Publish to "x.y"',
      );
      expect(mapped.cause).toBe(error);
    }
  });

  it('maps the client’s other failures to the shared codes', () => {
    const cases: [Error, BusErrorCode][] = [
      [new errors.AuthorizationError('Authorization Violation'), BusErrorCode.Unauthorized],
      [
        new errors.RequestError('no responders', { cause: new errors.NoRespondersError('x') }),
        BusErrorCode.NoResponders,
      ],
      [new errors.TimeoutError(), BusErrorCode.Timeout],
      [new errors.ClosedConnectionError(), BusErrorCode.Closed],
      [
        new JetStreamApiError({ code: 404, err_code: 10059, description: 'stream not found' }),
        BusErrorCode.UnknownStream,
      ],
      [
        new JetStreamApiError({ code: 404, err_code: 10014, description: 'consumer not found' }),
        BusErrorCode.Unavailable,
      ],
      [new Error('ECONNREFUSED'), BusErrorCode.Unavailable],
    ];
    for (const [error, code] of cases)
      expect([error.message, toBusError(error, 'x').code]).toEqual([error.message, code]);
  });

  it('passes a BusError through unchanged', () => {
    const error = new BusError(BusErrorCode.TooLarge, 'big');
    expect(toBusError(error, 'x')).toBe(error);
  });
});

describe('the error shape of replies', () => {
  it('keeps the code, message and details of errors that have a code', () => {
    const domain = Object.assign(new Error('no connector c1'), {
      code: 'CONNECTOR_NOT_FOUND',
      details: { id: 'c1' },
    });
    expect(toErrorShape(domain)).toEqual({
      code: 'CONNECTOR_NOT_FOUND',
      message: 'no connector c1',
      details: { id: 'c1' },
    });
    expect(toErrorShape(new BusError(BusErrorCode.Timeout, 'slow'))).toEqual({
      code: BusErrorCode.Timeout,
      message: 'slow',
      details: {},
    });
  });

  it('hides the message of an unexpected error', () => {
    expect(toErrorShape(new TypeError('cannot read x of undefined at /srv/app.js:1'))).toEqual({
      code: 'INTERNAL',
      message: 'the handler failed; see its log',
    });
  });

  it('rethrows a bus code as that BusError and anything else as a RemoteError', () => {
    const bus = fromErrorShape('a.b', {
      code: BusErrorCode.Unavailable,
      message: 'down',
      details: { host: 'h' },
    });
    expect(bus).not.toBeInstanceOf(RemoteError);
    expect(bus).toMatchObject({ code: BusErrorCode.Unavailable, details: { subject: 'a.b', host: 'h' } });
    const remote = fromErrorShape('a.b', { code: 'CONNECTOR_NOT_FOUND', message: 'gone' });
    expect(remote).toBeInstanceOf(RemoteError);
    expect(remote).toMatchObject({
      code: BusErrorCode.Remote,
      remote: { code: 'CONNECTOR_NOT_FOUND', message: 'gone' },
    });
    expect(remote.message).toBe('a.b: the handler answered CONNECTOR_NOT_FOUND: gone');
  });
});
