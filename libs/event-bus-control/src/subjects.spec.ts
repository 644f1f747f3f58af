import { BusErrorCode } from '@openfoundry/bus-registry';
import { describe, expect, it } from 'vitest';
import { concreteSubject, subscriptionSubject } from './subjects.ts';

describe(concreteSubject.name, () => {
  it('fills every placeholder', () => {
    expect(concreteSubject('tenancy.{tenant}.tenant.changed', { tenant: 'acme' })).toBe(
      'tenancy.acme.tenant.changed',
    );
    expect(concreteSubject('platform.ping')).toBe('platform.ping');
  });

  it('refuses a missing token as an invalid payload, naming it', () => {
    expect(() => concreteSubject('tenancy.{tenant}.tenant.changed', {})).toThrow(
      expect.objectContaining({
        code: BusErrorCode.InvalidPayload,
        message: expect.stringContaining('no value for {tenant}'),
      }),
    );
  });

  it.each(['a.b', 'a b', '*', '>', ''])(
    'refuses the token value %j, which is not one subject token',
    (value) => {
      expect(() => concreteSubject('tenancy.{tenant}.x', { tenant: value })).toThrow(
        expect.objectContaining({ code: BusErrorCode.InvalidPayload }),
      );
    },
  );
});

describe(subscriptionSubject.name, () => {
  it('leaves missing tokens as single-token wildcards and keeps a final >', () => {
    expect(subscriptionSubject('live.{tenant}.{asset}')).toBe('live.*.*');
    expect(subscriptionSubject('live.{tenant}.{asset}', { tenant: 'acme' })).toBe('live.acme.*');
    expect(subscriptionSubject('live.{tenant}.>', { tenant: 'acme' })).toBe('live.acme.>');
    expect(subscriptionSubject('live.{tenant}.{asset}', { asset: 'pump-1' })).toBe('live.*.pump-1');
  });

  it('refuses a token name the template does not have, and a malformed value', () => {
    expect(() => subscriptionSubject('live.{tenant}.{asset}', { site: 'x' })).toThrow(
      'subject live.{tenant}.{asset} has no {site}: its placeholders are {tenant}, {asset}',
    );
    expect(() => subscriptionSubject('live.{tenant}', { tenant: 'a.*' })).toThrow(
      /not a single subject token/,
    );
  });
});
