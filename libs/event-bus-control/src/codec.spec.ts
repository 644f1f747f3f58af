import { BusErrorCode, payloadSchema, subject } from '@openfoundry/bus-registry';
import { markValidated } from '@openfoundry/bus-registry/validated';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decodeValue, encodeValue, lineageHeaders, parseLineage } from './codec.ts';
import { backoffFor } from './consumer.ts';

const schema = payloadSchema(
  'tenancy.t',
  1,
  z.object({ id: z.string(), count: z.number().int().default(0) }),
);
const changed = subject({
  name: 'tenancy.{tenant}.t',
  owner: 'tenancy-service',
  kind: 'signal',
  description: 't',
  schema,
  maxPayloadBytes: 64,
});
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe(encodeValue.name, () => {
  it('serialises what the schema outputs', () => {
    expect(text(encodeValue(changed, { id: 'a' }))).toBe('{"id":"a","count":0}');
  });

  it('sends a value checked against this schema in the bytes it was checked in (ADR 0020)', () => {
    const bytes = new TextEncoder().encode('{"id":"a"}');
    const value = { id: 'a', count: 0 };
    markValidated(schema, value, bytes);
    expect(encodeValue(changed, value)).toBe(bytes);
    // Checked against another schema: validated and encoded as any value.
    const other = payloadSchema('tenancy.u', 1, z.object({ id: z.string() }));
    const elsewhere = { id: 'b', count: 1 };
    markValidated(other, elsewhere, new TextEncoder().encode('{"id":"b"}'));
    expect(text(encodeValue(changed, elsewhere))).toBe('{"id":"b","count":1}');
    // A copy is not checked.
    expect(text(encodeValue(changed, { ...value }))).toBe('{"id":"a","count":0}');
  });

  it("still holds checked bytes to the subject's size limit", () => {
    const value = { id: 'x'.repeat(100) };
    markValidated(schema, value, new TextEncoder().encode(JSON.stringify(value)));
    expect(() => encodeValue(changed, value)).toThrow(
      expect.objectContaining({ code: BusErrorCode.TooLarge }),
    );
  });

  it('refuses a value the schema rejects, with every issue', () => {
    expect(() => encodeValue(changed, { id: 1, count: 'x' })).toThrow(
      expect.objectContaining({
        code: BusErrorCode.InvalidPayload,
        details: expect.objectContaining({
          issues: [expect.objectContaining({ path: 'id' }), expect.objectContaining({ path: 'count' })],
        }),
      }),
    );
  });

  it('refuses a payload over the subject’s limit, saying where large data goes', () => {
    expect(() => encodeValue(changed, { id: 'x'.repeat(100) })).toThrow(
      expect.objectContaining({
        code: BusErrorCode.TooLarge,
        message: expect.stringContaining('over its limit of 64'),
        details: expect.objectContaining({ bytes: 119 }),
      }),
    );
  });
});

describe(decodeValue.name, () => {
  it('validates what arrives', () => {
    expect(decodeValue(schema, new TextEncoder().encode('{"id":"a"}'), 's')).toEqual({ id: 'a', count: 0 });
    expect(() => decodeValue(schema, new TextEncoder().encode('{"id":3}'), 's')).toThrow(
      /does not match schema tenancy.t v1/,
    );
    expect(() => decodeValue(schema, new TextEncoder().encode('{'), 's')).toThrow(
      's: the payload is not JSON',
    );
  });
});

describe('lineage headers', () => {
  const lineage = {
    namespace: 'ns',
    jobName: 'job',
    runId: 'run',
    eventTime: '2026-11-23T10:00:00.000Z',
    producer: 'https://p',
  };

  it('round-trip, with the optional schema URL', () => {
    expect(parseLineage(lineageHeaders(lineage))).toEqual(lineage);
    const withSchema = { ...lineage, schemaUrl: 'https://s' };
    expect(parseLineage(lineageHeaders(withSchema))).toEqual(withSchema);
  });

  it('are absent unless every required one is there', () => {
    const { 'ol-run-id': _dropped, ...partial } = lineageHeaders(lineage);
    expect(parseLineage(partial)).toBeUndefined();
  });
});

describe(backoffFor.name, () => {
  it('waits the step of the failed attempt and repeats the last step', () => {
    const consumer = { backoffMs: [1_000, 5_000, 30_000] };
    expect([1, 2, 3, 4, 9].map((attempt) => backoffFor(consumer, attempt))).toEqual([
      1_000, 5_000, 30_000, 30_000, 30_000,
    ]);
    expect(backoffFor({ backoffMs: [] }, 1)).toBe(0);
  });
});
