import {
  AsyncRecordBatchStreamReader,
  Message,
  type RecordBatch,
  RecordBatchReader,
  RecordBatchStreamWriter,
  type Schema,
  Table,
} from 'apache-arrow';
import { RecordBatch as BatchHeader, Message as IpcHeader } from 'apache-arrow/ipc/metadata/message';
import { VectorAssembler } from 'apache-arrow/visitor/vectorassembler';

/** One Arrow IPC message split the way Flight carries it: flatbuffer header and body apart. */
export interface IpcMessage {
  dataHeader: Uint8Array;
  dataBody: Uint8Array;
}

const CONTINUATION = 0xffffffff;

/** Splits an Arrow IPC stream into its messages (schema first, end-of-stream marker dropped). */
export function splitIpcStream(bytes: Uint8Array): IpcMessage[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const messages: IpcMessage[] = [];
  let at = 0;
  while (at + 4 <= bytes.length) {
    let length = view.getUint32(at, true);
    at += 4;
    if (length === CONTINUATION) {
      length = view.getUint32(at, true);
      at += 4;
    }
    if (length === 0) break;
    const dataHeader = bytes.subarray(at, at + length);
    at += length;
    const bodyLength = Number(Message.decode(dataHeader).bodyLength);
    messages.push({ dataHeader, dataBody: bytes.subarray(at, at + bodyLength) });
    at += bodyLength;
  }
  return messages;
}

/** The schema in encapsulated IPC form, as FlightInfo.schema and the prepared-statement results carry it. */
export function encodeSchema(schema: Schema): Uint8Array {
  const bytes = RecordBatchStreamWriter.writeAll(new Table(schema)).toUint8Array(true);
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);
  return bytes.slice(0, 8 + length);
}

export function decodeSchema(bytes: Uint8Array): Schema {
  const reader = RecordBatchReader.from(bytes);
  reader.open();
  return reader.schema;
}

/** The messages for a schema and its batches: the first is the schema, then one per batch. */
export function encodeBatches(schema: Schema, batches: readonly RecordBatch[]): IpcMessage[] {
  const writer = new RecordBatchStreamWriter();
  writer.reset(undefined, schema);
  for (const batch of batches) writer.write(batch);
  writer.finish();
  return splitIpcStream(writer.toUint8Array(true));
}

/**
 * FlightData messages already serialised by `encodeBatch`, keyed by their body: the gRPC
 * serialiser sends these bytes as they are instead of encoding the message again.
 */
const serialised = new WeakMap<Uint8Array, Buffer>();

/**
 * The same bytes with gRPC's 5-byte message prefix in front (uncompressed flag, big-endian
 * length), keyed by the serialised FlightData: a server whose framing step knows this map sends
 * them without copying the message once more (see `sendPreframedMessages` in flight/proto.ts).
 */
const framed = new WeakMap<Uint8Array, Buffer>();

/** The serialised message with its gRPC frame prefix, when `encodeBatch` made one. */
export function framedMessage(serialisedMessage: Uint8Array): Buffer | undefined {
  return framed.get(serialisedMessage);
}

/** The protobuf bytes of a FlightData carrying exactly this header and body, if `encodeBatch` made them. */
export function serialisedFlightData(message: Record<string, unknown>) {
  const body = message.dataBody;
  if (message.flightDescriptor != null || (message.appMetadata as Uint8Array | undefined)?.length)
    return undefined;
  if (!(body instanceof Uint8Array)) return undefined;
  const bytes = serialised.get(body);
  if (!bytes) return undefined;
  const header = message.dataHeader;
  return header instanceof Uint8Array && header.buffer === bytes.buffer ? bytes : undefined;
}

/** gRPC's length-prefixed message framing: one flag byte (0, uncompressed) and a 32-bit length. */
const GRPC_PREFIX_BYTES = 5;

function varint(value: number, out: Buffer, at: number): number {
  let rest = value;
  while (rest >= 0x80) {
    out[at++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  out[at++] = rest;
  return at;
}

function varintLength(value: number): number {
  let length = 1;
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 0x80)) length++;
  return length;
}

/** FlightData field tags: `data_header` (2) and `data_body` (1000), both length-delimited. */
const DATA_HEADER_TAG = [0x12];
const DATA_BODY_TAG = [0xc2, 0x3e];

/**
 * The record-batch message of one batch (the stream already carried its schema). Its body
 * buffers are copied once, straight into the serialised FlightData that carries them, which
 * the header and body returned here are views of.
 */
export function encodeBatch(batch: RecordBatch): IpcMessage {
  const done = encoded.get(batch);
  if (done) return done;
  const { byteLength, nodes, bufferRegions, buffers, variadicBufferCounts } = VectorAssembler.assemble(batch);
  const header = IpcHeader.encode(
    IpcHeader.from(
      new BatchHeader(batch.numRows, nodes, bufferRegions, null, variadicBufferCounts),
      byteLength,
    ),
  );
  const size =
    DATA_HEADER_TAG.length +
    varintLength(header.length) +
    header.length +
    DATA_BODY_TAG.length +
    varintLength(byteLength) +
    byteLength;
  // Room for gRPC's frame prefix in front: the message leaves as these bytes, copied once.
  const frame = Buffer.allocUnsafeSlow(GRPC_PREFIX_BYTES + size);
  frame[0] = 0;
  frame.writeUInt32BE(size, 1);
  const out = frame.subarray(GRPC_PREFIX_BYTES);
  let at = 0;
  for (const byte of DATA_HEADER_TAG) out[at++] = byte;
  at = varint(header.length, out, at);
  out.set(header, at);
  const dataHeader = out.subarray(at, at + header.length);
  at += header.length;
  for (const byte of DATA_BODY_TAG) out[at++] = byte;
  at = varint(byteLength, out, at);
  const bodyStart = at;
  for (const buffer of buffers) {
    out.set(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength), at);
    const padded = (buffer.byteLength + 7) & ~7;
    out.fill(0, at + buffer.byteLength, at + padded);
    at += padded;
  }
  if (at - bodyStart !== byteLength) throw new Error('record batch body does not match its header');
  const dataBody = out.subarray(bodyStart, at);
  serialised.set(dataBody, out);
  framed.set(out, frame);
  return { dataHeader, dataBody };
}

/** Batches whose FlightData was written around their own body (`adoptEncodedBody`). */
const encoded = new WeakMap<RecordBatch, IpcMessage>();

/**
 * Makes a batch whose buffers already lie in one memory block as an IPC body (at `bodyStart`,
 * `bodyLength` bytes, with free room before it) its own encoded FlightData: the message header and
 * gRPC's frame prefix are written into the room in front, and `encodeBatch` then returns views of
 * that block, copying nothing. False (nothing registered) when the batch's layout does not match
 * the body or the room is too small; `encodeBatch` then copies as usual.
 */
export function adoptEncodedBody(
  batch: RecordBatch,
  memory: Uint8Array,
  bodyStart: number,
  bodyLength: number,
): boolean {
  const { byteLength, nodes, bufferRegions, buffers, variadicBufferCounts } = VectorAssembler.assemble(batch);
  if (byteLength !== bodyLength) return false;
  // Every buffer the IPC format lists must be the view of the body at the offset the header names.
  const base = memory.byteOffset + bodyStart;
  for (let i = 0; i < buffers.length; i++) {
    const buffer = buffers[i] as ArrayBufferView;
    const region = bufferRegions[i];
    if (!region || buffer.byteLength === 0) continue;
    if (buffer.buffer !== memory.buffer || buffer.byteOffset !== base + Number(region.offset)) return false;
  }
  const header = IpcHeader.encode(
    IpcHeader.from(
      new BatchHeader(batch.numRows, nodes, bufferRegions, null, variadicBufferCounts),
      byteLength,
    ),
  );
  const prefix =
    DATA_HEADER_TAG.length +
    varintLength(header.length) +
    header.length +
    DATA_BODY_TAG.length +
    varintLength(byteLength);
  const start = bodyStart - prefix - GRPC_PREFIX_BYTES;
  if (start < 0) return false;
  const block = Buffer.from(memory.buffer, memory.byteOffset, memory.byteLength);
  block[start] = 0;
  block.writeUInt32BE(prefix + byteLength, start + 1);
  let at = start + GRPC_PREFIX_BYTES;
  for (const byte of DATA_HEADER_TAG) block[at++] = byte;
  at = varint(header.length, block, at);
  block.set(header, at);
  const dataHeader = block.subarray(at, at + header.length);
  at += header.length;
  for (const byte of DATA_BODY_TAG) block[at++] = byte;
  at = varint(byteLength, block, at);
  if (at !== bodyStart) return false;
  const frameBytes = block.subarray(start, bodyStart + byteLength);
  const out = frameBytes.subarray(GRPC_PREFIX_BYTES);
  const dataBody = block.subarray(bodyStart, bodyStart + byteLength);
  serialised.set(dataBody, out);
  framed.set(out, frameBytes);
  encoded.set(batch, { dataHeader, dataBody });
  return true;
}

function frame(message: IpcMessage): Uint8Array {
  const padded = (message.dataHeader.length + 7) & ~7;
  const out = new Uint8Array(8 + padded + message.dataBody.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, CONTINUATION, true);
  view.setUint32(4, padded, true);
  out.set(message.dataHeader, 8);
  out.set(message.dataBody, 8 + padded);
  return out;
}

const END_OF_STREAM = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** Rebuilds an IPC stream from Flight messages so apache-arrow can read it. */
export function joinIpcMessages(messages: Iterable<IpcMessage>): Uint8Array {
  const frames = [...messages].filter((m) => m.dataHeader.length > 0).map(frame);
  frames.push(END_OF_STREAM);
  const total = frames.reduce((sum, f) => sum + f.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

export function readBatches(messages: Iterable<IpcMessage>): { schema: Schema; batches: RecordBatch[] } {
  const reader = RecordBatchReader.from(joinIpcMessages(messages));
  reader.open();
  return { schema: reader.schema, batches: [...reader] };
}

/** Reads record batches as Flight messages arrive, without holding the whole stream. */
export async function* streamBatches(messages: AsyncIterable<IpcMessage>): AsyncGenerator<RecordBatch> {
  async function* frames() {
    for await (const message of messages) if (message.dataHeader.length > 0) yield frame(message);
    yield END_OF_STREAM;
  }
  const reader = await AsyncRecordBatchStreamReader.from(frames());
  yield* reader;
}
