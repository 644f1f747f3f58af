import type { PointMapping } from '@openfoundry/bus-registry';
import { type Observation, type Rejection, reject } from '../../ingest/normalise.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads an MQTT payload by the point's `payload` setting (`plain`, `json`, or guessed when unset). */
export function readPayload(
  payload: Uint8Array,
  point: PointMapping,
  asset: string,
  attribute: string,
): Observation | Rejection {
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    return reject('unparsable', 'the payload is not UTF-8 text');
  }
  const base = { asset, attribute, kind: point.kind, valueType: point.valueType, unit: point.unit };
  const looksJson =
    point.payload === 'json' || (point.payload === undefined && text.trimStart().startsWith('{'));
  if (!looksJson) return { ...base, value: text, plainText: true };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return reject('unparsable', 'the payload is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !('value' in parsed))
    return reject('schema', 'a json payload is an object { value, ts?, seq?, quality?, unit? }');
  const body = parsed as Record<string, unknown>;
  return {
    ...base,
    value: body.value,
    ts: body.ts,
    seq: body.seq,
    quality: body.quality,
    unit: body.unit ?? point.unit,
  };
}
