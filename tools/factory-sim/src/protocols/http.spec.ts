import { describe, expect, it } from 'vitest';
import { ingestUrl, partialRejections, retryAfterMs } from './http.ts';

describe(ingestUrl.name, () => {
  it('appends /v1/ingest/<tenant>/<device> to the base URL', () => {
    expect(ingestUrl('http://127.0.0.1:4022', 'acme', 'line-1')).toBe(
      'http://127.0.0.1:4022/v1/ingest/acme/line-1',
    );
    expect(ingestUrl('http://h/base/', 'acme', 'd')).toBe('http://h/base/v1/ingest/acme/d');
  });
});

describe(retryAfterMs.name, () => {
  it('reads seconds and HTTP dates', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs('0.5')).toBe(500);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:04 GMT', now)).toBe(4000);
    expect(retryAfterMs('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
  });

  it('gives undefined for a missing or unreadable header', () => {
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('')).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs('-1')).toBeUndefined();
  });
});

describe(partialRejections.name, () => {
  it('maps the indexes of a 207 body to their reasons', () => {
    const body = JSON.stringify({
      accepted: 2,
      rejected: [
        { index: 0, reason: 'wrong-type', detail: 'expected a long' },
        { index: 3, reason: 'unknown-asset', detail: 'x' },
      ],
    });
    expect(partialRejections(body, 4)).toEqual(
      new Map([
        [0, 'wrong-type'],
        [3, 'unknown-asset'],
      ]),
    );
  });

  it('gives undefined for a body it cannot trust', () => {
    expect(partialRejections('not json', 4)).toBeUndefined();
    expect(partialRejections('{}', 4)).toBeUndefined();
    expect(partialRejections('null', 4)).toBeUndefined();
    expect(partialRejections(JSON.stringify({ rejected: [{ index: 4 }] }), 4)).toBeUndefined();
    expect(partialRejections(JSON.stringify({ rejected: [{ index: '1' }] }), 4)).toBeUndefined();
  });
});
