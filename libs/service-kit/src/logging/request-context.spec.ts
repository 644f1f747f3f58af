import { describe, expect, it } from 'vitest';
import { resolveRequestId } from './request-context.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe(resolveRequestId.name, () => {
  it('keeps a valid incoming request id', () => {
    expect(resolveRequestId('gw-7f3a.9:1')).toBe('gw-7f3a.9:1');
  });

  it('takes the first of repeated headers', () => {
    expect(resolveRequestId(['first-id', 'second-id'])).toBe('first-id');
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['with spaces', 'a b'],
    ['with a newline (log injection)', 'abc\ninjected'],
    ['too long', 'x'.repeat(129)],
  ])('generates a UUID when the header is %s', (_case, header) => {
    expect(resolveRequestId(header)).toMatch(UUID);
  });

  it('generates a different id each time', () => {
    expect(resolveRequestId(undefined)).not.toBe(resolveRequestId(undefined));
  });
});
