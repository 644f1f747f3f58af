import { describe, expect, it } from 'vitest';
import {
  deadLetterTopicName,
  domainOf,
  fillSubject,
  SubjectError,
  subjectMatches,
  subjectPlaceholders,
  subjectWildcard,
} from './naming.ts';

describe('naming', () => {
  it('derives the domain token from the service name', () => {
    expect(domainOf('tenancy-service')).toBe('tenancy');
    expect(domainOf('connector-management-service')).toBe('connector-management');
  });

  it('names a consumer group dead-letter topic under the consumer domain', () => {
    expect(deadLetterTopicName('streaming-service', 'streaming-service.asset-state')).toBe(
      'streaming.dlq.asset-state',
    );
  });

  it('turns a subject template into its wildcard and placeholders', () => {
    expect(subjectWildcard('tenancy.{tenant}.tenant.changed')).toBe('tenancy.*.tenant.changed');
    expect(subjectPlaceholders('live.{tenant}.{asset}.>')).toEqual(['tenant', 'asset']);
  });

  it('fills a template and refuses values that are not one subject token', () => {
    expect(fillSubject('tenancy.{tenant}.tenant.changed', { tenant: 'acme-1' })).toBe(
      'tenancy.acme-1.tenant.changed',
    );
    expect(() => fillSubject('tenancy.{tenant}.x', { tenant: 'a.b' })).toThrow(SubjectError);
    expect(() => fillSubject('tenancy.{tenant}.x', { tenant: '*' })).toThrow(/single subject token/);
    expect(() => fillSubject('tenancy.{tenant}.x', {})).toThrow(/no value for \{tenant\}/);
    // A template taken apart once fills with other values the same way, every placeholder in place.
    const live = 'live.{tenant}.{asset}.{attribute}';
    expect(fillSubject(live, { tenant: 'acme', asset: 'press-1', attribute: 'temp' })).toBe(
      'live.acme.press-1.temp',
    );
    expect(fillSubject(live, { tenant: 'beta', asset: 'oven_2', attribute: 'rpm' })).toBe(
      'live.beta.oven_2.rpm',
    );
    expect(() => fillSubject(live, { tenant: 'beta', asset: 'oven 2', attribute: 'rpm' })).toThrow(
      /\{asset\} = "oven 2"/,
    );
    expect(fillSubject('{tenant}', { tenant: 'acme' })).toBe('acme');
  });

  it('matches subjects against patterns with * and >', () => {
    expect(subjectMatches('a.*.c', 'a.b.c')).toBe(true);
    expect(subjectMatches('a.*.c', 'a.b.d')).toBe(false);
    expect(subjectMatches('a.>', 'a.b.c')).toBe(true);
    expect(subjectMatches('a.>', 'a')).toBe(false);
    expect(subjectMatches('a.b', 'a.b.c')).toBe(false);
  });
});
