/**
 * Iceberg ids (snapshot ids above all) are 64-bit integers drawn from the whole positive range,
 * beyond what a double holds exactly. Metadata is read with integers past 2^53 kept as bigints
 * and bigints are written back as their exact digits.
 */

/** An Iceberg `long` as it comes out of JSON or Avro. */
export type Long = number | bigint;

const DIGITS = /^-?\d+$/;
const { rawJSON } = JSON as unknown as { rawJSON(text: string): unknown };

export function parseLosslessJson<T>(text: string): T {
  return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) =>
    typeof value === 'number' && !Number.isSafeInteger(value) && DIGITS.test(context?.source ?? '')
      ? BigInt(context?.source as string)
      : value,
  ) as T;
}

export function stringifyLosslessJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? rawJSON(String(v)) : v));
}

/** A long as a number when that is exact, for JSON bodies and arithmetic on counts. */
export function compactLong(value: Long): Long {
  return typeof value === 'bigint' &&
    value <= BigInt(Number.MAX_SAFE_INTEGER) &&
    value >= -BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value;
}
