import type { MsgHdrs } from '@nats-io/nats-core';
import {
  BusError,
  BusErrorCode,
  type PayloadSchema,
  parsePayload,
  type SubjectDef,
} from '@openfoundry/bus-registry';
import { validatedBytes } from '@openfoundry/bus-registry/validated';

// Control-bus payloads are JSON, checked against the subject's zod schema on both ends: the sender
// refuses to send what the schema rejects, and a receiver never hands a handler an unchecked value.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface Issue {
  path: string;
  message: string;
  code: string;
}

function issuesOf(error: {
  issues: readonly { path: readonly PropertyKey[]; message: string; code: string }[];
}): Issue[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message, code: i.code }));
}

const describeIssues = (issues: Issue[]) =>
  issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');

/** Validates and serialises a payload (or a reply) of a subject, within its size limit. */
export function encodeValue(
  subject: SubjectDef,
  value: unknown,
  schema: PayloadSchema = subject.schema,
): Uint8Array {
  // A value a consumer of either bus checked against this schema goes out in the bytes it came in
  // (ADR 0020): live-service forwards asset events from Kafka without encoding them again.
  const checked = validatedBytes(schema, value);
  if (checked !== undefined) return withinLimit(subject, checked);
  const parsed = parsePayload(schema, value);
  if (!parsed.success) {
    const issues = issuesOf(parsed.error);
    throw new BusError(
      BusErrorCode.InvalidPayload,
      `${subject.name}: the value does not match schema ${schema.id} v${schema.version}: ${describeIssues(issues)}`,
      { subject: subject.name, schema: schema.url, issues },
    );
  }
  return withinLimit(subject, encoder.encode(JSON.stringify(parsed.data) ?? 'null'));
}

function withinLimit(subject: SubjectDef, bytes: Uint8Array): Uint8Array {
  if (bytes.byteLength > subject.maxPayloadBytes) {
    throw new BusError(
      BusErrorCode.TooLarge,
      `${subject.name}: the payload is ${bytes.byteLength} bytes, over its limit of ${subject.maxPayloadBytes}; large data goes on the data bus or to object storage (ADR 0005)`,
      { subject: subject.name, bytes: bytes.byteLength, maxPayloadBytes: subject.maxPayloadBytes },
    );
  }
  return bytes;
}

/** Parses and validates a received payload; a BusError InvalidPayload when it is not what the schema says. */
export function decodeValue<T>(schema: PayloadSchema<T>, data: Uint8Array, source: string): T {
  let raw: unknown;
  try {
    raw = decodeJson(data);
  } catch (error) {
    throw new BusError(
      BusErrorCode.InvalidPayload,
      `${source}: the payload is not JSON`,
      { subject: source },
      {
        cause: error,
      },
    );
  }
  return checkValue(schema, raw, source);
}

/** Validates an already parsed value against a payload schema. */
export function checkValue<T>(schema: PayloadSchema<T>, raw: unknown, source: string): T {
  const parsed = parsePayload(schema, raw);
  if (!parsed.success) {
    const issues = issuesOf(parsed.error);
    throw new BusError(
      BusErrorCode.InvalidPayload,
      `${source}: the payload does not match schema ${schema.id} v${schema.version}: ${describeIssues(issues)}`,
      { subject: source, schema: schema.url, issues },
    );
  }
  return parsed.data;
}

export const decodeJson = (data: Uint8Array): unknown => JSON.parse(decoder.decode(data));
export const encodeJson = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value));

/** The first value of each header, the shape a BusMessage exposes. */
export function headerRecord(headers: MsgHdrs | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  if (!headers) return record;
  for (const key of headers.keys()) record[key] = headers.get(key);
  return record;
}

// The OpenLineage headers (ADR 0003) are shared with the data bus; optional here, read when present.
export { LINEAGE_HEADERS, lineageHeaders, parseLineage } from '@openfoundry/bus-registry';

/** The header JetStream de-duplicates on within a stream's duplicate window. */
export const MSG_ID_HEADER = 'Nats-Msg-Id';
