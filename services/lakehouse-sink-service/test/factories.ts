import { randomUUID } from 'node:crypto';
import type { AssetEvent } from '@openfoundry/bus-registry';
import type { SinkRecord } from '../src/sink/sink-buffer.ts';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);

/** An asset event of `tenant`; `n` varies the value, time and attribute. */
export function assetEvent(
  tenant: string,
  asset: string,
  n: number,
  overrides: Partial<AssetEvent> = {},
): AssetEvent {
  return {
    eventId: randomUUID(),
    tenant,
    assetId: asset,
    kind: 'sample',
    attribute: 'temperature',
    value: { type: 'double', value: n + 0.5 },
    unit: 'Cel',
    quality: 'good',
    sourceTime: new Date(T0 + n * 1000).toISOString(),
    ingestTime: new Date(T0 + n * 1000 + 5).toISOString(),
    sequence: n,
    source: { protocol: 'mqtt', replica: 'replica-a', device: 'device-1' },
    ...overrides,
  };
}

/** Sink records of one partition from `firstOffset`, one per event. */
export function sinkRecords(
  partition: number,
  firstOffset: number,
  events: readonly AssetEvent[],
): SinkRecord[] {
  return events.map((event, i) => ({
    partition,
    offset: BigInt(firstOffset + i),
    size: JSON.stringify(event).length + event.tenant.length + event.assetId.length + 1,
    event,
    bytes: Buffer.from(JSON.stringify(event), 'utf8'),
  }));
}
