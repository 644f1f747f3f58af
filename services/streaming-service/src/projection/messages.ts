import { topics } from '@openfoundry/bus-registry';
import type { OutboxRecord } from '@openfoundry/service-kit';
import type { z } from 'zod';
import { type AggregateRow, aggregateKey, avgOf, type StateRow, stateKey, WINDOWS } from './projection.ts';

export type AssetStateMessage = z.output<typeof topics.assetState.schema.zod>;
export type AssetAggregateMessage = z.output<typeof topics.assetAggregates.schema.zod>;

const iso = (millis: number) => new Date(millis).toISOString();

export const STATE_JOB = 'streaming-service.asset-state';
export const AGGREGATES_JOB = 'streaming-service.asset-aggregates';

export function stateMessage(row: StateRow): AssetStateMessage {
  return {
    tenant: row.tenant,
    assetId: row.assetId,
    attribute: row.attribute,
    kind: row.kind,
    value: row.value,
    ...(row.unit === null ? {} : { unit: row.unit }),
    quality: row.quality,
    sourceTime: iso(row.sourceTime),
    ingestTime: iso(row.ingestTime),
    eventId: row.eventId,
    position: `${row.partition}:${row.offset}`,
  };
}

export function aggregateMessage(row: AggregateRow): AssetAggregateMessage {
  return {
    tenant: row.tenant,
    assetId: row.assetId,
    attribute: row.attribute,
    window: row.window,
    windowStart: iso(row.windowStart),
    windowEnd: iso(row.windowStart + WINDOWS[row.window]),
    count: row.count,
    min: row.min,
    max: row.max,
    avg: avgOf(row),
    sum: row.sum,
    last: row.last,
    lastTime: iso(row.lastTime),
  };
}

/** The compacted-topic records of one applied batch: the last version of every changed key. */
export function batchMessages(states: readonly StateRow[], aggregates: readonly AggregateRow[]) {
  return [
    ...states.map(
      (row): OutboxRecord<AssetStateMessage> => ({
        topic: topics.assetState,
        key: stateKey(row.tenant, row.assetId, row.attribute),
        value: stateMessage(row),
        job: STATE_JOB,
      }),
    ),
    ...aggregates.map(
      (row): OutboxRecord<AssetAggregateMessage> => ({
        topic: topics.assetAggregates,
        key: aggregateKey(row),
        value: aggregateMessage(row),
        job: AGGREGATES_JOB,
      }),
    ),
  ];
}
