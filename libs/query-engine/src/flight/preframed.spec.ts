import { Field, Int32, makeData, RecordBatch, Schema, Struct } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { encodeBatch, framedMessage, serialisedFlightData } from '../arrow/ipc.ts';
import { decode, flightType, sendPreframedMessages } from './proto.ts';

function batch(values: number[]): RecordBatch {
  const schema = new Schema([new Field('v', new Int32(), true)]);
  const child = makeData({ type: new Int32(), length: values.length, data: Int32Array.from(values) });
  return new RecordBatch(
    schema,
    makeData({ type: new Struct(schema.fields), length: values.length, children: [child] }),
  );
}

describe('pre-framed FlightData', () => {
  it('is a FlightData message behind a gRPC frame prefix, with header and body as views of it', () => {
    const message = encodeBatch(batch([1, 2, 3]));
    const bytes = serialisedFlightData({ dataHeader: message.dataHeader, dataBody: message.dataBody });
    expect(bytes).toBeDefined();
    const frame = framedMessage(bytes as Uint8Array) as Buffer;
    expect(frame[0]).toBe(0);
    expect(frame.readUInt32BE(1)).toBe(bytes?.byteLength);
    expect(frame.buffer).toBe(bytes?.buffer);
    const decoded = decode(flightType('FlightData'), frame.subarray(5)) as { dataBody: Uint8Array };
    expect(Buffer.from(decoded.dataBody)).toEqual(Buffer.from(message.dataBody));
  });

  it('has no frame for a message encodeBatch did not make', () => {
    expect(framedMessage(new Uint8Array(8))).toBeUndefined();
  });

  it('hooks into the framing step of the grpc-js this project uses (a grpc-js upgrade that moves it fails here)', () => {
    expect(sendPreframedMessages()).toBe(true);
  });
});
