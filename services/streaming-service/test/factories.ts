import { randomBytes, randomUUID } from 'node:crypto';
import type { AssetEvent, TypedValue } from '@openfoundry/bus-registry';
import type { StreamRecord } from '../src/projection/projection.ts';

/** A tenant id no one else on the shared Kafka topic uses. */
export const uniqueTenant = (prefix = 'st') => `${prefix}-${randomBytes(5).toString('hex')}`;

/** An asset event; times default to 2026-03-01T10:00:00Z. */
export function assetEvent(overrides: Partial<AssetEvent> = {}): AssetEvent {
  return {
    eventId: randomUUID(),
    tenant: 'acme',
    assetId: 'press-1',
    kind: 'sample',
    attribute: 'temperature',
    value: { type: 'double', value: 21.5 },
    quality: 'good',
    sourceTime: '2026-03-01T10:00:00.000Z',
    ingestTime: '2026-03-01T10:00:00.100Z',
    source: { protocol: 'mqtt', replica: 'replica-1', device: 'device-1' },
    ...overrides,
  };
}

export const double = (value: number): TypedValue => ({ type: 'double', value });
export const long = (value: number): TypedValue => ({ type: 'long', value });

/** Records of one partition at consecutive offsets from `first`. */
export function onPartition(partition: number, first: bigint, events: AssetEvent[]): StreamRecord[] {
  return events.map((value, i) => ({ partition, offset: first + BigInt(i), value }));
}

/** A batch as the consumer hands it over: next offsets after each partition's last record. */
export function batchOf(records: StreamRecord[]) {
  const nextOffsets = new Map<number, bigint>();
  for (const r of records) {
    const next = r.offset + 1n;
    if ((nextOffsets.get(r.partition) ?? -1n) < next) nextOffsets.set(r.partition, next);
  }
  return { records, nextOffsets };
}
