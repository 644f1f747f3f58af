import {
  AsyncRecordBatchStreamReader,
  Message,
  type RecordBatch,
  RecordBatchReader,
  RecordBatchStreamWriter,
  type Schema,
  Table,
} from 'apache-arrow';

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

/** Just the record-batch message of one batch (the stream already carried its schema). */
export function encodeBatch(batch: RecordBatch): IpcMessage {
  const messages = encodeBatches(batch.schema, [batch]);
  return messages[messages.length - 1] as IpcMessage;
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
