/**
 * JSON that keeps 64-bit integers exact. Iceberg snapshot ids are longs that clients draw from
 * the whole 63-bit range; `JSON.parse` would round them to the nearest double and a commit would
 * then name a snapshot that does not exist. Integers outside the safe range become bigints on
 * the way in and are written back digit for digit on the way out.
 */

/** An Iceberg `long`: a number while it is exact as a double, a bigint beyond that. */
export type Long = number | bigint;

const INTEGER = /^-?\d+$/;

// Node 21+ has JSON.rawJSON; the TypeScript lib does not describe it yet.
const { rawJSON } = JSON as unknown as { rawJSON(text: string): unknown };

export function parseJson(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) => {
    if (
      typeof value === 'number' &&
      !Number.isSafeInteger(value) &&
      context?.source &&
      INTEGER.test(context.source)
    )
      return BigInt(context.source);
    return value;
  });
}

export function stringifyJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? rawJSON(v.toString()) : v));
}

/** Two longs are the same id whatever their representation. */
export function sameLong(a: Long | null | undefined, b: Long | null | undefined): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return a === b;
  return BigInt(a) === BigInt(b);
}

/** A map key for a long id. */
export function longKey(value: Long): string {
  return BigInt(value).toString();
}

export function isLong(value: unknown): value is Long {
  return (typeof value === 'number' && Number.isSafeInteger(value)) || typeof value === 'bigint';
}
