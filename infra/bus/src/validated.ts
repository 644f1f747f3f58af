// The validated mark both bus libraries share (ADR 0015, 0020). Only `@openfoundry/event-bus-data`
// and `@openfoundry/event-bus-control` import this file: a service gets a marked value from a
// publisher's `validate()` or from a consumer, never by marking one itself.
import type { PayloadSchema } from './model.ts';

/**
 * Where a checked payload keeps the bytes it was checked in and the schema it was checked
 * against: a property no one else can name, neither enumerable nor writable, so spreading,
 * copying or cloning the object gives a value that is not marked. (A WeakMap would cost as much
 * again as the encoding, in the GC.)
 */
const VALIDATED = Symbol('validated payload');

interface Mark {
  schema: PayloadSchema<unknown>;
  bytes: Uint8Array;
}

/**
 * Marks `value` as what `bytes` decode to, checked against `schema`: a publisher of either bus
 * with that schema sends `bytes` as they are instead of validating and encoding the value again.
 * `bytes` must be UTF-8 JSON that parses to a value the schema accepts, and `value` the result of
 * that check; a value that is not an object cannot be marked (and is cheap to encode anyway).
 */
export function markValidated(schema: PayloadSchema<unknown>, value: unknown, bytes: Uint8Array): void {
  if (typeof value !== 'object' || value === null) return;
  const mark: Mark = { schema, bytes };
  // Configurable: a value checked again (a schema's acceptor hands back the value itself, ADR 0024)
  // gets the newer mark instead of a TypeError.
  Object.defineProperty(value, VALIDATED, { value: mark, configurable: true });
}

/** The bytes `value` was checked in against `schema`; undefined for any other value or schema. */
export function validatedBytes(schema: PayloadSchema<unknown>, value: unknown): Uint8Array | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const mark = (value as { [VALIDATED]?: Mark })[VALIDATED];
  return mark?.schema === schema ? mark.bytes : undefined;
}
