import { BusError, BusErrorCode, type PayloadSchema, parsePayload } from '@openfoundry/bus-registry';
import { markValidated, validatedBytes as validatedBytesOf } from '@openfoundry/bus-registry/validated';

/** What a payload schema found wrong with a value: where (field path) and what. */
export interface PayloadIssue {
  path: readonly PropertyKey[];
  message: string;
}

declare const validatedBrand: unique symbol;

/**
 * A JSON payload that `validatePayload` checked against its topic's registry schema. Only
 * `validatePayload` makes one: it also encodes the value then, and a publisher's validated path
 * sends exactly those bytes, so changing the object afterwards cannot put an invalid record on the
 * topic.
 */
export type Validated<T> = T & { readonly [validatedBrand]: true };

export type PayloadCheck<T> = { ok: true; value: Validated<T> } | { ok: false; issues: PayloadIssue[] };

/**
 * Checks a JSON object payload against its registry schema and encodes it, once: what a caller
 * that must answer for each value (dead-letter the invalid ones) does before publishing them with
 * `Publisher.publishValidated`.
 */
export function validatePayload<T>(schema: PayloadSchema<T>, value: unknown): PayloadCheck<T> {
  const parsed = parsePayload(schema, value);
  if (!parsed.success) return { ok: false, issues: parsed.error.issues };
  let data: unknown = parsed.data;
  if (typeof data !== 'object' || data === null || data instanceof Uint8Array)
    throw new BusError(
      BusErrorCode.InvalidPayload,
      `schema ${schema.id} v${schema.version}: only JSON object payloads can be validated ahead of publishing`,
    );
  // The schema's acceptor hands back the value itself (ADR 0024); the caller's object stays
  // unmarked, so changing and publishing it later checks it again, as with Zod's copy.
  if (data === value) data = { ...data };
  markValidated(schema, data, Buffer.from(JSON.stringify(data), 'utf8'));
  return { ok: true, value: data as Validated<T> };
}

/**
 * The bytes a marked value was checked in (by `validatePayload`, or by a consumer that validated
 * what it decoded); undefined for any other value or schema.
 */
export function validatedBytes(schema: PayloadSchema<unknown>, value: unknown): Buffer | undefined {
  const bytes = validatedBytesOf(schema, value);
  if (bytes === undefined || Buffer.isBuffer(bytes)) return bytes;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function describeIssues(issues: readonly PayloadIssue[]): string {
  return issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Payloads travel as UTF-8 JSON; raw bytes (dead letters) travel as they are. */
export function encodePayload<T>(schema: PayloadSchema<T>, value: T, where: string): Buffer {
  const parsed = parsePayload(schema, value);
  if (!parsed.success) {
    throw new BusError(
      BusErrorCode.InvalidPayload,
      `${where}: payload does not match schema ${schema.id} v${schema.version}: ${describeIssues(parsed.error.issues)}`,
      { schema: schema.url, issues: parsed.error.issues },
    );
  }
  if (parsed.data instanceof Uint8Array) return Buffer.from(parsed.data);
  return Buffer.from(JSON.stringify(parsed.data), 'utf8');
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string; detail: string };

/** Whether a schema carries raw bytes (dead letters) rather than JSON; ask once per topic, not per record. */
export function isBytesSchema(schema: PayloadSchema<unknown>): boolean {
  return schema.zod.safeParse(new Uint8Array(0)).success;
}

export function decodePayload<T>(
  schema: PayloadSchema<T>,
  bytes: Buffer,
  options: { validate: boolean; bytesSchema: boolean },
): Decoded<T> {
  if (options.bytesSchema) return { ok: true, value: new Uint8Array(bytes) as T };
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    return { ok: false, reason: 'unparsable', detail: (error as Error).message };
  }
  if (!options.validate) return { ok: true, value: raw as T };
  const parsed = parsePayload(schema, raw);
  if (!parsed.success) {
    return {
      ok: false,
      reason: 'schema-violation',
      detail: describeIssues(parsed.error.issues),
    };
  }
  // The bytes stay with the value, so a service passing it on (live-service to NATS) sends them as
  // they are instead of validating and encoding it again (ADR 0020).
  markValidated(schema, parsed.data, bytes);
  return { ok: true, value: parsed.data };
}
