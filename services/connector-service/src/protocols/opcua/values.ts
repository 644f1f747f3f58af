import type { TypedValue } from '@openfoundry/bus-registry';
import { DataType, type StatusCode, type Variant } from 'node-opcua';

/** OPC UA 64-bit integers arrive as [high, low] 32-bit words. */
function int64(words: [number, number], signed: boolean): number {
  const [high, low] = words;
  const value = signed
    ? BigInt.asIntN(64, (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0))
    : (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
  return Number(value);
}

const plain = (value: unknown): unknown => {
  if (value instanceof Date) return value.toISOString();
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  if (
    value &&
    typeof value === 'object' &&
    'toString' in value &&
    !Array.isArray(value) &&
    value.constructor !== Object
  )
    return String(value);
  return value;
};

/** A variant as the JSON-friendly value an observation carries (typed later by the point's valueType). */
export function variantValue(variant: Variant | undefined): {
  value: unknown;
  inferred?: TypedValue['type'];
} {
  if (!variant || variant.value === null || variant.value === undefined) return { value: null };
  const v = variant.value as unknown;
  if (variant.arrayType !== undefined && variant.arrayType !== 0) {
    return { value: Array.from(v as ArrayLike<unknown>, plain), inferred: 'json' };
  }
  switch (variant.dataType) {
    case DataType.Double:
    case DataType.Float:
      return { value: v, inferred: 'double' };
    case DataType.SByte:
    case DataType.Byte:
    case DataType.Int16:
    case DataType.UInt16:
    case DataType.Int32:
    case DataType.UInt32:
      return { value: v, inferred: 'long' };
    case DataType.Int64:
    case DataType.UInt64:
      return { value: int64(v as [number, number], variant.dataType === DataType.Int64), inferred: 'long' };
    case DataType.Boolean:
      return { value: v, inferred: 'boolean' };
    case DataType.String:
      return { value: v, inferred: 'string' };
    case DataType.LocalizedText:
      return { value: (v as { text?: string }).text ?? null, inferred: 'string' };
    case DataType.DateTime:
      return { value: (v as Date).toISOString(), inferred: 'string' };
    default:
      return { value: plain(v), inferred: 'json' };
  }
}

export function qualityOf(status: StatusCode | undefined): 'good' | 'uncertain' | 'bad' {
  if (!status || status.isGood()) return 'good';
  return status.isBad() ? 'bad' : 'uncertain';
}
