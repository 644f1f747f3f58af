import { AvroFormatError } from './avro.errors.ts';
import type { AvroSchema, NamedAvroType } from './avro-schema.ts';

/**
 * Avro binary encoding driven by a schema. Values: records are plain objects keyed by field
 * name, arrays are arrays, maps are `Record<string, T>`, bytes and fixed are Uint8Arrays, unions
 * of null and one type are the value or null. Longs decode as bigints and encode from numbers or
 * bigints.
 */
const MIN_LONG = -(2n ** 63n);
const MAX_LONG = 2n ** 63n - 1n;

export class AvroEncoder {
  private buffer = new Uint8Array(1024);
  private view = new DataView(this.buffer.buffer);
  private length = 0;
  private readonly text = new TextEncoder();

  constructor(private readonly names: Map<string, NamedAvroType> = new Map()) {}

  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  reset(): void {
    this.length = 0;
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + extra));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }

  writeLong(value: number | bigint, path = '$'): void {
    let n = BigInt(value);
    if (n < MIN_LONG || n > MAX_LONG) throw new AvroFormatError(`${path}: ${value} is not an Avro long`);
    n = n < 0n ? (-n << 1n) - 1n : n << 1n;
    this.reserve(10);
    while (n > 0x7fn) {
      this.buffer[this.length++] = Number(n & 0x7fn) | 0x80;
      n >>= 7n;
    }
    this.buffer[this.length++] = Number(n);
  }

  writeInt(value: number, path = '$'): void {
    if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31)
      throw new AvroFormatError(`${path}: ${value} is not an Avro int`);
    let n = ((value << 1) ^ (value >> 31)) >>> 0;
    this.reserve(5);
    while (n > 0x7f) {
      this.buffer[this.length++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.buffer[this.length++] = n;
  }

  writeRaw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  writeBytes(bytes: Uint8Array): void {
    this.writeLong(bytes.length);
    this.writeRaw(bytes);
  }

  writeString(value: string): void {
    this.writeBytes(this.text.encode(value));
  }

  write(schema: AvroSchema, value: unknown, path = '$'): void {
    if (Array.isArray(schema)) {
      this.writeUnion(schema, value, path);
      return;
    }
    if (typeof schema === 'string') {
      const named = this.names.get(schema);
      if (named) this.write(named, value, path);
      else this.writePrimitive(schema, value, path);
      return;
    }
    switch (schema.type) {
      case 'record': {
        const record = (value ?? {}) as Record<string, unknown>;
        for (const field of schema.fields) {
          const fieldValue = record[field.name] === undefined ? (field.default ?? null) : record[field.name];
          this.write(field.type, fieldValue, `${path}.${field.name}`);
        }
        return;
      }
      case 'array': {
        const items = expect(value, Array.isArray, 'an array', path) as unknown[];
        if (items.length) {
          this.writeLong(items.length);
          for (const item of items) this.write(schema.items, item, `${path}[]`);
        }
        this.writeLong(0);
        return;
      }
      case 'map': {
        const entries = Object.entries(expect(value, isObject, 'an object', path) as Record<string, unknown>);
        if (entries.length) {
          this.writeLong(entries.length);
          for (const [key, item] of entries) {
            this.writeString(key);
            this.write(schema.values, item, `${path}.${key}`);
          }
        }
        this.writeLong(0);
        return;
      }
      case 'fixed': {
        const bytes = expect(value, isBytes, 'bytes', path) as Uint8Array;
        if (bytes.length !== schema.size)
          throw new AvroFormatError(`${path}: fixed(${schema.size}) given ${bytes.length} bytes`);
        this.writeRaw(bytes);
        return;
      }
      case 'enum': {
        const index = schema.symbols.indexOf(value as string);
        if (index < 0)
          throw new AvroFormatError(`${path}: ${String(value)} is not a symbol of ${schema.name}`);
        this.writeInt(index);
        return;
      }
      default:
        this.writePrimitive(schema.type, value, path);
        return;
    }
  }

  private writeUnion(branches: AvroSchema[], value: unknown, path: string): void {
    const nullIndex = branches.indexOf('null');
    if (value === null || value === undefined) {
      if (nullIndex < 0) throw new AvroFormatError(`${path}: null given for a union without null`);
      this.writeLong(nullIndex);
      return;
    }
    const index = branches.findIndex((_, i) => i !== nullIndex);
    if (index < 0 || branches.length > 2)
      throw new AvroFormatError(`${path}: only unions of null and one type can be written`);
    this.writeLong(index);
    this.write(branches[index] as AvroSchema, value, path);
  }

  private writePrimitive(type: string, value: unknown, path: string): void {
    switch (type) {
      case 'null':
        if (value !== null && value !== undefined) throw new AvroFormatError(`${path}: expected null`);
        return;
      case 'boolean':
        this.reserve(1);
        this.buffer[this.length++] = expect(value, (v) => typeof v === 'boolean', 'a boolean', path) ? 1 : 0;
        return;
      case 'int':
        this.writeInt(Number(expect(value, isInteger, 'an int', path)), path);
        return;
      case 'long':
        this.writeLong(expect(value, isInteger, 'a long', path) as number | bigint, path);
        return;
      case 'float':
        this.reserve(4);
        this.view.setFloat32(this.length, Number(value), true);
        this.length += 4;
        return;
      case 'double':
        this.reserve(8);
        this.view.setFloat64(this.length, Number(value), true);
        this.length += 8;
        return;
      case 'bytes':
        this.writeBytes(expect(value, isBytes, 'bytes', path) as Uint8Array);
        return;
      case 'string':
        this.writeString(expect(value, (v) => typeof v === 'string', 'a string', path) as string);
        return;
      default:
        throw new AvroFormatError(`${path}: unknown Avro type ${type}`);
    }
  }
}

export class AvroDecoder {
  private offset = 0;
  private readonly view: DataView;
  private readonly text = new TextDecoder();

  constructor(
    private readonly data: Uint8Array,
    private readonly names: Map<string, NamedAvroType> = new Map(),
  ) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  get position(): number {
    return this.offset;
  }

  get done(): boolean {
    return this.offset >= this.data.length;
  }

  readLong(): bigint {
    let n = 0n;
    let shift = 0n;
    for (;;) {
      if (this.offset >= this.data.length) throw new AvroFormatError('truncated varint');
      const byte = this.data[this.offset++] as number;
      n |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) break;
      shift += 7n;
      if (shift > 63n) throw new AvroFormatError('varint longer than 64 bits');
    }
    return n & 1n ? -((n + 1n) >> 1n) : n >> 1n;
  }

  readInt(): number {
    return Number(this.readLong());
  }

  readRaw(length: number): Uint8Array {
    if (this.offset + length > this.data.length) throw new AvroFormatError('truncated data');
    const bytes = this.data.slice(this.offset, this.offset + length);
    this.offset += length;
    return bytes;
  }

  readBytes(): Uint8Array {
    return this.readRaw(this.readInt());
  }

  readString(): string {
    return this.text.decode(this.readBytes());
  }

  read(schema: AvroSchema): unknown {
    if (Array.isArray(schema)) {
      const branch = schema[this.readInt()];
      if (branch === undefined) throw new AvroFormatError('union branch out of range');
      return this.read(branch);
    }
    if (typeof schema === 'string') {
      const named = this.names.get(schema);
      return named ? this.read(named) : this.readPrimitive(schema);
    }
    switch (schema.type) {
      case 'record': {
        const record: Record<string, unknown> = {};
        for (const field of schema.fields) record[field.name] = this.read(field.type);
        return record;
      }
      case 'array': {
        const items: unknown[] = [];
        this.readBlocks(() => items.push(this.read(schema.items)));
        return items;
      }
      case 'map': {
        const map: Record<string, unknown> = {};
        this.readBlocks(() => {
          const key = this.readString();
          map[key] = this.read(schema.values);
        });
        return map;
      }
      case 'fixed':
        return this.readRaw(schema.size);
      case 'enum':
        return schema.symbols[this.readInt()];
      default:
        return this.readPrimitive(schema.type);
    }
  }

  private readBlocks(readItem: () => void): void {
    for (;;) {
      let count = this.readInt();
      if (count === 0) return;
      if (count < 0) {
        count = -count;
        this.readLong(); // the block's byte size, only useful for skipping
      }
      for (let i = 0; i < count; i++) readItem();
    }
  }

  private readPrimitive(type: string): unknown {
    switch (type) {
      case 'null':
        return null;
      case 'boolean':
        return this.readRaw(1)[0] === 1;
      case 'int':
        return this.readInt();
      case 'long':
        return this.readLong();
      case 'float': {
        const value = this.view.getFloat32(this.offset, true);
        this.offset += 4;
        return value;
      }
      case 'double': {
        const value = this.view.getFloat64(this.offset, true);
        this.offset += 8;
        return value;
      }
      case 'bytes':
        return this.readBytes();
      case 'string':
        return this.readString();
      default:
        throw new AvroFormatError(`unknown Avro type ${type}`);
    }
  }
}

function expect(value: unknown, test: (v: unknown) => boolean, what: string, path: string): unknown {
  if (!test(value)) throw new AvroFormatError(`${path}: expected ${what}, got ${typeof value}`);
  return value;
}

const isInteger = (v: unknown) => typeof v === 'bigint' || Number.isInteger(v);
const isBytes = (v: unknown) => v instanceof Uint8Array;
const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
