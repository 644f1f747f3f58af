import { randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { AvroFormatError } from './avro.errors.ts';
import { AvroDecoder, AvroEncoder } from './avro-codec.ts';
import { type AvroSchema, namedTypes } from './avro-schema.ts';

/** Avro object container files: `Obj\x01`, a metadata map, a sync marker, then blocks of records. */
const MAGIC = new Uint8Array([0x4f, 0x62, 0x6a, 0x01]);
const METADATA: AvroSchema = { type: 'map', values: 'bytes' };
const RECORDS_PER_BLOCK = 4096;

export type AvroCodec = 'null' | 'deflate';

export interface AvroContainer<T> {
  schema: AvroSchema;
  /** The file's metadata except the `avro.*` keys. */
  metadata: Record<string, string>;
  records: T[];
}

export function writeAvroContainer(
  schema: AvroSchema,
  records: readonly unknown[],
  options: { metadata?: Record<string, string>; codec?: AvroCodec } = {},
): Uint8Array {
  const codec = options.codec ?? 'deflate';
  const text = new TextEncoder();
  const metadata: Record<string, Uint8Array> = {
    'avro.schema': text.encode(JSON.stringify(schema)),
    'avro.codec': text.encode(codec),
  };
  for (const [key, value] of Object.entries(options.metadata ?? {})) metadata[key] = text.encode(value);
  const sync = randomBytes(16);
  const out = new AvroEncoder();
  out.writeRaw(MAGIC);
  out.write(METADATA, metadata);
  out.writeRaw(sync);
  const block = new AvroEncoder(namedTypes(schema));
  for (let start = 0; start < records.length; start += RECORDS_PER_BLOCK) {
    const slice = records.slice(start, start + RECORDS_PER_BLOCK);
    block.reset();
    slice.forEach((record, i) => {
      block.write(schema, record, `record ${start + i}`);
    });
    const payload = codec === 'deflate' ? deflateRawSync(block.bytes()) : block.bytes();
    out.writeLong(slice.length);
    out.writeBytes(payload);
    out.writeRaw(sync);
  }
  return out.bytes().slice();
}

export function readAvroContainer<T = Record<string, unknown>>(data: Uint8Array): AvroContainer<T> {
  if (data.length < MAGIC.length || MAGIC.some((byte, i) => data[i] !== byte))
    throw new AvroFormatError('not an Avro object container file');
  const header = new AvroDecoder(data.subarray(MAGIC.length));
  const raw = header.read(METADATA) as Record<string, Uint8Array>;
  const sync = header.readRaw(16);
  const text = new TextDecoder();
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw))
    if (!key.startsWith('avro.')) metadata[key] = text.decode(value);
  const schemaBytes = raw['avro.schema'];
  if (!schemaBytes) throw new AvroFormatError('the file has no avro.schema');
  const schema = JSON.parse(text.decode(schemaBytes)) as AvroSchema;
  const codec = raw['avro.codec'] ? text.decode(raw['avro.codec']) : 'null';
  if (codec !== 'null' && codec !== 'deflate') throw new AvroFormatError(`unsupported Avro codec ${codec}`);
  const names = namedTypes(schema);
  const body = new AvroDecoder(data.subarray(MAGIC.length + header.position), names);
  const records: T[] = [];
  while (!body.done) {
    const count = Number(body.readLong());
    const payload = body.readBytes();
    const marker = body.readRaw(16);
    if (marker.some((byte, i) => byte !== sync[i])) throw new AvroFormatError('sync marker mismatch');
    const block = new AvroDecoder(codec === 'deflate' ? plainBytes(inflateRawSync(payload)) : payload, names);
    for (let i = 0; i < count; i++) records.push(block.read(schema) as T);
  }
  return { schema, metadata, records };
}

/** A Buffer as a plain Uint8Array, so decoded bytes and fixed values are Uint8Arrays, not Buffer views. */
function plainBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
