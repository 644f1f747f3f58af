import {
  ASSET_ID,
  type AssetEvent,
  assetEventSchema,
  canonicalIsoMillis,
  type EVENT_KINDS,
  parsePayload,
  QUALITIES,
  type TypedValue,
  type VALUE_TYPES,
} from '@openfoundry/bus-registry';
import { uuidv7, uuidv7From } from './uuid.ts';

/** Why device data was dead-lettered: the closed list of `dlq-reason` values. */
export const DLQ_REASONS = [
  'unparsable',
  'unknown-asset',
  'wrong-type',
  'out-of-range-time',
  'schema',
] as const;
export type DlqReason = (typeof DLQ_REASONS)[number];

export interface Rejection {
  ok: false;
  reason: DlqReason;
  detail: string;
}
export type Result<T> = { ok: true; value: T } | Rejection;

export const reject = (reason: DlqReason, detail: string): Rejection => ({ ok: false, reason, detail });
const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });

type ValueType = (typeof VALUE_TYPES)[number];
type EventKind = (typeof EVENT_KINDS)[number];

/** One reading as a protocol adapter found it, before it is checked and typed. */
export interface Observation {
  asset: string;
  attribute: string;
  kind?: EventKind;
  /** A JSON value, or the text of a plain payload (`plainText: true`). */
  value: unknown;
  plainText?: boolean;
  valueType?: ValueType;
  ts?: unknown;
  seq?: unknown;
  quality?: unknown;
  unit?: unknown;
}

export interface NormaliseContext {
  tenant: string;
  device: string;
  protocol: 'mqtt' | 'opcua' | 'http';
  replica: string;
  /** Assets the device may report for; empty or absent = any valid asset id. */
  allowedAssets?: readonly string[];
  now: Date;
  maxFutureSkewMs: number;
  maxAgeMs: number;
  /**
   * Checks a built event against the asset stream's registry schema. The asset sink's check
   * (`AssetSink.validate`) also encodes the event, so publishing does not validate it again;
   * without one, the schema is checked here and the publisher checks it once more.
   */
  validate?: (event: AssetEvent) => EventCheck;
}

/** What checking an event against the asset stream's schema found. */
export type EventCheck =
  | { ok: true; value: AssetEvent }
  | { ok: false; issues: readonly { path: readonly PropertyKey[]; message: string }[] };

const checkSchema = (event: AssetEvent): EventCheck => {
  const checked = parsePayload(assetEventSchema, event);
  return checked.success ? { ok: true, value: checked.data } : { ok: false, issues: checked.error.issues };
};

/** The ISO text of the last `now` asked for: every event of one batch shares it. */
let lastNow = { ms: Number.NaN, iso: '' };
function isoOfNow(now: Date): string {
  const ms = now.getTime();
  if (lastNow.ms !== ms) lastNow = { ms, iso: now.toISOString() };
  return lastNow.iso;
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** Types the text of a plain payload: by the point's value type, or inferred (number, boolean, text). */
export function typePlain(text: string, valueType: ValueType | undefined): Result<TypedValue> {
  const trimmed = text.trim();
  switch (valueType) {
    case undefined:
      if (NUMBER.test(trimmed)) return ok({ type: 'double', value: Number(trimmed) });
      if (trimmed === 'true' || trimmed === 'false')
        return ok({ type: 'boolean', value: trimmed === 'true' });
      return typeJson(text, 'string');
    case 'string':
      return typeJson(text, 'string');
    case 'json':
      try {
        return ok({ type: 'json', value: JSON.parse(text) });
      } catch {
        return reject('unparsable', 'the payload is not JSON');
      }
    default:
      if (trimmed === 'true' || trimmed === 'false') return typeJson(trimmed === 'true', valueType);
      if (NUMBER.test(trimmed)) return typeJson(Number(trimmed), valueType);
      return reject('wrong-type', `expected a ${valueType}, got ${JSON.stringify(trimmed.slice(0, 64))}`);
  }
}

/** Types a JSON value: by the point's value type when it has one, otherwise by its JSON type. */
export function typeJson(value: unknown, valueType: ValueType | undefined): Result<TypedValue> {
  const got = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  const wrong = () => reject('wrong-type', `expected a ${valueType}, got ${got}`);
  if (value === undefined) return reject('schema', 'no value');
  if (valueType === 'json') return ok({ type: 'json', value });
  if (value === null) return ok({ type: 'null', value: null });
  switch (valueType) {
    case 'double':
      return typeof value === 'number' && Number.isFinite(value) ? ok({ type: 'double', value }) : wrong();
    case 'long':
      return typeof value === 'number' && Number.isSafeInteger(value) ? ok({ type: 'long', value }) : wrong();
    case 'boolean':
      return typeof value === 'boolean' ? ok({ type: 'boolean', value }) : wrong();
    case 'string':
      return typeof value === 'string' ? ok({ type: 'string', value }) : wrong();
    default:
      if (typeof value === 'number')
        return Number.isFinite(value)
          ? ok({ type: 'double', value })
          : reject('wrong-type', 'not a finite number');
      if (typeof value === 'boolean') return ok({ type: 'boolean', value });
      if (typeof value === 'string') return ok({ type: 'string', value });
      return ok({ type: 'json', value });
  }
}

/** The times an event may carry: its text must stay in the four-digit-year form. */
const EARLIEST_MS = Date.parse('0000-01-01T00:00:00.000Z');
const LATEST_MS = Date.parse('9999-12-31T23:59:59.999Z');
/** The range a JavaScript Date can hold at all. */
const DATE_LIMIT_MS = 8.64e15;

/** A device time read: epoch milliseconds and the event's text for it (UTC, `toISOString` form). */
export interface DeviceTime {
  ms: number;
  iso: string;
}

/**
 * A device timestamp: ISO 8601 text or epoch milliseconds. Text already in the event's own form
 * is kept as it is (no parsing and formatting again); any other is parsed and written in it.
 */
export function parseTime(ts: unknown): DeviceTime | undefined {
  if (typeof ts === 'string') {
    const canonical = canonicalIsoMillis(ts);
    if (canonical !== undefined) return { ms: canonical, iso: ts };
    if (!/^\d{4}-\d{2}-\d{2}T/.test(ts)) return undefined;
    return ofMillis(Date.parse(ts));
  }
  if (typeof ts === 'number') return ofMillis(ts);
  return undefined;
}

function ofMillis(ms: number): DeviceTime | undefined {
  if (!Number.isFinite(ms) || Math.abs(ms) > DATE_LIMIT_MS) return undefined;
  return { ms, iso: new Date(ms).toISOString() };
}

/** Checks one observation and turns it into an asset event, or says why it cannot be one. */
export function normalise(observation: Observation, ctx: NormaliseContext): Result<AssetEvent> {
  const { asset } = observation;
  if (!ASSET_ID.test(asset)) return reject('unknown-asset', `"${asset.slice(0, 128)}" is not an asset id`);
  if (ctx.allowedAssets && ctx.allowedAssets.length > 0 && !ctx.allowedAssets.includes(asset))
    return reject('unknown-asset', `device ${ctx.device} may not report for asset ${asset}`);
  const typed = observation.plainText
    ? typePlain(String(observation.value), observation.valueType)
    : typeJson(observation.value, observation.valueType);
  if (!typed.ok) return typed;
  const nowMs = ctx.now.getTime();
  const ingestTime = isoOfNow(ctx.now);
  /** The device's own time, when it sent one; otherwise the event takes the time it arrived. */
  let deviceTime: DeviceTime | undefined;
  if (observation.ts !== undefined && observation.ts !== null) {
    deviceTime = parseTime(observation.ts);
    if (!deviceTime) return reject('schema', 'ts must be an ISO 8601 date-time or epoch milliseconds');
    const ahead = deviceTime.ms - nowMs;
    if (
      ahead > ctx.maxFutureSkewMs ||
      -ahead > ctx.maxAgeMs ||
      deviceTime.ms < EARLIEST_MS ||
      deviceTime.ms > LATEST_MS
    )
      return reject('out-of-range-time', `ts ${deviceTime.iso} is too far from now`);
  }
  const quality = observation.quality ?? 'good';
  if (!QUALITIES.includes(quality as (typeof QUALITIES)[number]))
    return reject('schema', `quality must be one of ${QUALITIES.join(', ')}`);
  const kind = observation.kind ?? 'sample';
  const hasSequence = observation.seq !== undefined && observation.seq !== null;
  const sourceIso = deviceTime?.iso ?? ingestTime;
  // A reading the device names itself (sequence and source time) keeps its id when delivered again.
  const eventId =
    hasSequence && deviceTime
      ? uuidv7From(
          deviceTime.ms,
          `${ctx.tenant}\n${ctx.device}\n${asset}\n${observation.attribute}\n${kind}\n${String(observation.seq)}\n${sourceIso}`,
        )
      : uuidv7(nowMs);
  // Built in the schema's field order, which is the order of the JSON on the stream.
  const event: Record<string, unknown> = {
    eventId,
    tenant: ctx.tenant,
    assetId: asset,
    kind,
    attribute: observation.attribute,
    value: typed.value,
  };
  if (observation.unit !== undefined && observation.unit !== null) event.unit = observation.unit;
  event.quality = quality;
  event.sourceTime = sourceIso;
  event.ingestTime = ingestTime;
  if (hasSequence) event.sequence = observation.seq;
  event.source = { protocol: ctx.protocol, replica: ctx.replica, device: ctx.device };
  const checked = (ctx.validate ?? checkSchema)(event as AssetEvent);
  if (!checked.ok) {
    const issue = checked.issues[0];
    return reject(
      'schema',
      `${issue?.path.map(String).join('.') || 'event'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return ok(checked.value);
}
