import { payloadSchema } from '@openfoundry/bus-registry';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decodePayload, validatedBytes, validatePayload } from './codec.ts';

const pointSchema = payloadSchema('test.point', 1, z.object({ x: z.number(), label: z.string().max(8) }));
const otherSchema = payloadSchema('test.other-point', 1, z.object({ x: z.number(), label: z.string() }));

describe('validatePayload', () => {
  it('accepts a valid value and keeps the bytes it encoded for that schema only', () => {
    const checked = validatePayload(pointSchema, { x: 1, label: 'a' });
    expect(checked).toEqual({ ok: true, value: { x: 1, label: 'a' } });
    if (!checked.ok) throw new Error('expected a valid point');
    expect(validatedBytes(pointSchema, checked.value)?.toString()).toBe('{"x":1,"label":"a"}');
    expect(validatedBytes(otherSchema, checked.value)).toBeUndefined();
  });

  it('knows nothing of values it did not check, equal or copied', () => {
    const value = { x: 1, label: 'a' };
    const checked = validatePayload(pointSchema, value);
    if (!checked.ok) throw new Error('expected a valid point');
    // The checked value is the schema's output, a copy: the input was not validated as such.
    expect(validatedBytes(pointSchema, value)).toBeUndefined();
    expect(validatedBytes(pointSchema, { ...checked.value, label: 'b' })).toBeUndefined();
    expect(validatedBytes(pointSchema, Object.assign({}, checked.value))).toBeUndefined();
    expect(validatedBytes(pointSchema, structuredClone(checked.value))).toBeUndefined();
    expect(JSON.stringify(checked.value)).toBe('{"x":1,"label":"a"}');
    expect(validatedBytes(pointSchema, 'text')).toBeUndefined();
    expect(validatedBytes(pointSchema, null)).toBeUndefined();
  });

  it('keeps the bytes it validated when the object is changed afterwards', () => {
    const checked = validatePayload(pointSchema, { x: 1, label: 'a' });
    if (!checked.ok) throw new Error('expected a valid point');
    (checked.value as { label: string }).label = 'far too long a label';
    expect(validatedBytes(pointSchema, checked.value)?.toString()).toBe('{"x":1,"label":"a"}');
  });

  it('reports every issue of an invalid value with its path', () => {
    const checked = validatePayload(pointSchema, { x: 'one', label: 'far too long' });
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(checked.issues.map((i) => i.path.join('.'))).toEqual(['x', 'label']);
  });

  it('refuses payloads that are not JSON objects', () => {
    const bytes = payloadSchema('test.bytes', 1, z.instanceof(Uint8Array));
    expect(() => validatePayload(bytes, new Uint8Array([1]))).toThrow(/only JSON object payloads/);
  });
});

describe('decodePayload', () => {
  const json = { validate: true, bytesSchema: false };

  it('keeps the bytes a validated value came in, for that schema only (ADR 0020)', () => {
    const bytes = Buffer.from('{"label":"a","x":1}');
    const decoded = decodePayload(pointSchema, bytes, json);
    expect(decoded).toEqual({ ok: true, value: { x: 1, label: 'a' } });
    if (!decoded.ok) throw new Error('expected a valid point');
    // The same bytes, not an encoding of the value: a publisher passing it on sends them as they are.
    expect(validatedBytes(pointSchema, decoded.value)).toBe(bytes);
    expect(validatedBytes(otherSchema, decoded.value)).toBeUndefined();
    expect(validatedBytes(pointSchema, { ...decoded.value })).toBeUndefined();
  });

  it('marks nothing it did not validate, nor a value the schema refused', () => {
    const unchecked = decodePayload(pointSchema, Buffer.from('{"x":1,"label":"a"}'), {
      ...json,
      validate: false,
    });
    if (!unchecked.ok) throw new Error('expected JSON');
    expect(validatedBytes(pointSchema, unchecked.value)).toBeUndefined();
    expect(decodePayload(pointSchema, Buffer.from('{"x":"1","label":"a"}'), json)).toMatchObject({
      ok: false,
      reason: 'schema-violation',
    });
    expect(decodePayload(pointSchema, Buffer.from('{"x":'), json)).toMatchObject({
      ok: false,
      reason: 'unparsable',
    });
  });
});
