import { randomUUID } from 'node:crypto';
import type { AssetEvent } from '@openfoundry/bus-registry';
import { type SinkRecord, StagedEvents } from '../src/sink/staged-events.ts';

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

/** A sink record with the event it carries, for assertions. */
export type TestRecord = SinkRecord & { event: AssetEvent };

/** Sink records of one partition from `firstOffset`, one per event. */
export function sinkRecords(
  partition: number,
  firstOffset: number,
  events: readonly AssetEvent[],
): TestRecord[] {
  return events.map((event, i) => ({
    partition,
    offset: BigInt(firstOffset + i),
    size: JSON.stringify(event).length + event.tenant.length + event.assetId.length + 1,
    tenant: event.tenant,
    event,
    bytes: Buffer.from(JSON.stringify(event), 'utf8'),
  }));
}

/** Records staged as the sink buffers them: one batch. */
export function staged(records: readonly SinkRecord[]): StagedEvents[] {
  return [StagedEvents.of(records)];
}

/** Where the staged records came from, in order. */
export function positions(staged: readonly StagedEvents[]): { partition: number; offset: bigint }[] {
  return staged.flatMap((s) =>
    Array.from(s.offsets, (offset, i) => ({ partition: s.partitions[i] as number, offset })),
  );
}
