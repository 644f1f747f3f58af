import { BusError, BusErrorCode, type PayloadSchema } from '@openfoundry/bus-registry';

/** Payloads travel as UTF-8 JSON; raw bytes (dead letters) travel as they are. */
export function encodePayload<T>(schema: PayloadSchema<T>, value: T, where: string): Buffer {
  const parsed = schema.zod.safeParse(value);
  if (!parsed.success) {
    throw new BusError(
      BusErrorCode.InvalidPayload,
      `${where}: payload does not match schema ${schema.id} v${schema.version}: ${parsed.error.issues
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; ')}`,
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
  const parsed = schema.zod.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      reason: 'schema-violation',
      detail: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
    };
  }
  return { ok: true, value: parsed.data };
}
