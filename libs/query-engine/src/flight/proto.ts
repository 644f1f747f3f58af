import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServiceDefinition } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { framedMessage, serialisedFlightData } from '../arrow/ipc.ts';

/** The package's `proto/` folder, found from here whether running from `src` or `dist/src`. */
function protoDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'proto', 'flight.proto'))) return join(dir, 'proto');
    dir = dirname(dir);
  }
  throw new Error('query-engine: proto/flight.proto not found');
}

const dir = protoDir();
export const protoRoot = protobuf.loadSync([
  join(dir, 'flight.proto'),
  join(dir, 'flight-sql.proto'),
  'google/protobuf/any.proto',
]);

const FLIGHT = 'arrow.flight.protocol';
const SQL = 'arrow.flight.protocol.sql';
const TYPE_URL_PREFIX = 'type.googleapis.com/';

export function flightType(name: string): protobuf.Type {
  return protoRoot.lookupType(`${FLIGHT}.${name}`);
}

export function sqlType(name: string): protobuf.Type {
  return protoRoot.lookupType(`${SQL}.${name}`);
}

const anyType = protoRoot.lookupType('google.protobuf.Any');

/** A decoded message as a plain object: camelCase fields, bytes as Buffer, 64-bit integers as strings. */
export type Message = Record<string, unknown>;

const TO_OBJECT: protobuf.IConversionOptions = { longs: String, bytes: Buffer, defaults: true, oneofs: true };

export function decode(type: protobuf.Type, bytes: Uint8Array): Message {
  return type.toObject(type.decode(bytes), TO_OBJECT) as Message;
}

export function encode(type: protobuf.Type, message: Message): Buffer {
  return Buffer.from(type.encode(type.fromObject(message)).finish());
}

/** Packs a Flight SQL command the way descriptors, tickets and action bodies carry it. */
export function packSql(name: string, message: Message): Buffer {
  const type = sqlType(name);
  return encode(anyType, {
    type_url: `${TYPE_URL_PREFIX}${type.fullName.slice(1)}`,
    value: encode(type, message),
  });
}

export interface SqlCommand {
  /** Short name, e.g. `CommandStatementQuery`. */
  name: string;
  message: Message;
}

export function packAny(typeUrl: string, value: Uint8Array): Buffer {
  return encode(anyType, { type_url: typeUrl, value });
}

/** Unpacks an `Any`; undefined when the bytes are not a Flight SQL command this file declares. */
export function unpackSql(bytes: Uint8Array): SqlCommand | undefined {
  let any: Message;
  try {
    any = decode(anyType, bytes);
  } catch {
    return undefined;
  }
  const url = String(any.type_url ?? '');
  const prefix = `${TYPE_URL_PREFIX}${SQL}.`;
  if (!url.startsWith(prefix)) return undefined;
  const name = url.slice(prefix.length);
  const type = protoRoot.lookup(`${SQL}.${name}`);
  if (!(type instanceof protobuf.Type)) return { name, message: {} };
  return { name, message: decode(type, any.value as Uint8Array) };
}

let preframed = false;

/**
 * Lets grpc-js send a FlightData that `encodeBatch` already framed as it is. grpc-js frames every
 * response message by allocating a new buffer and copying the message into it; for record batches
 * that is a second copy of every byte the edge sends. Its framing step is wrapped once per process:
 * a message with a frame from `encodeBatch` goes out as that frame, anything else is framed exactly
 * as grpc-js does. Where grpc-js has no such step (another version), nothing changes.
 */
export function sendPreframedMessages(): boolean {
  if (preframed) return true;
  const require = createRequire(import.meta.url);
  let prototype: {
    serializeMessage?: (this: { handler: { serialize(v: unknown): Buffer } }, v: unknown) => Buffer;
  };
  try {
    const grpcJs = dirname(require.resolve('@grpc/grpc-js/package.json'));
    prototype = require(join(grpcJs, 'build', 'src', 'server-interceptors.js')).BaseServerInterceptingCall
      ?.prototype;
  } catch {
    return false;
  }
  if (!prototype || typeof prototype.serializeMessage !== 'function') return false;
  prototype.serializeMessage = function serializeMessage(value: unknown): Buffer {
    const message = this.handler.serialize(value);
    const frame = framedMessage(message);
    if (frame) return frame;
    const output = Buffer.allocUnsafe(message.byteLength + 5);
    output.writeUInt8(0, 0);
    output.writeUInt32BE(message.byteLength, 1);
    message.copy(output, 5);
    return output;
  };
  preframed = true;
  return true;
}

/** The gRPC definition of `arrow.flight.protocol.FlightService`, (de)serialised by protobufjs. */
export function flightServiceDefinition(): ServiceDefinition {
  const service = protoRoot.lookupService(`${FLIGHT}.FlightService`);
  const definition: Record<string, ServiceDefinition[string]> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const request = method.resolvedRequestType as protobuf.Type;
    const response = method.resolvedResponseType as protobuf.Type;
    definition[method.name] = {
      path: `/${FLIGHT}.FlightService/${method.name}`,
      requestStream: Boolean(method.requestStream),
      responseStream: Boolean(method.responseStream),
      requestSerialize:
        request.name === 'FlightData'
          ? (message: Message) => serialisedFlightData(message) ?? encode(request, message)
          : (message: Message) => encode(request, message),
      requestDeserialize: (bytes: Buffer) => decode(request, bytes),
      responseSerialize:
        response.name === 'FlightData'
          ? (message: Message) => serialisedFlightData(message) ?? encode(response, message)
          : (message: Message) => encode(response, message),
      responseDeserialize: (bytes: Buffer) => decode(response, bytes),
      originalName: method.name,
    };
  }
  return definition as ServiceDefinition;
}
