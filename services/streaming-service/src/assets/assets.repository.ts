import { Injectable } from '@nestjs/common';
import { InjectDb } from '@openfoundry/service-kit';
import type { Kysely } from 'kysely';
import type { StreamingDatabase } from '../database.ts';
import { typedValueOf, valueFromColumns } from '../projection/projection.ts';
import type {
  AggregatesQuery,
  AssetSummary,
  AttributeState,
  ListAssetsQuery,
  Window,
} from './dto/assets.dto.ts';

/** Reads of the read models for the REST API. */
@Injectable()
export class AssetsRepository {
  constructor(@InjectDb() private readonly db: Kysely<StreamingDatabase>) {}

  /** Assets of a tenant by id after the cursor; one row more than the page to tell if another follows. */
  async listAssets(tenant: string, query: ListAssetsQuery): Promise<AssetSummary[]> {
    let select = this.db
      .selectFrom('asset_state')
      .select((eb) => [
        'asset_id',
        eb.fn.countAll<string>().as('attributes'),
        eb.fn.max('source_time').as('last_source_time'),
        eb.fn.max('ingest_time').as('last_ingest_time'),
      ])
      .where('tenant', '=', tenant)
      .groupBy('asset_id')
      .orderBy('asset_id')
      .limit(query.limit + 1);
    if (query.cursor) select = select.where('asset_id', '>', query.cursor);
    const rows = await select.execute();
    return rows.map((row) => ({
      assetId: row.asset_id,
      attributes: Number(row.attributes),
      lastSourceTime: new Date(row.last_source_time).toISOString(),
      lastIngestTime: new Date(row.last_ingest_time).toISOString(),
    }));
  }

  async state(tenant: string, assetId: string): Promise<AttributeState[]> {
    const rows = await this.db
      .selectFrom('asset_state')
      .selectAll()
      .where('tenant', '=', tenant)
      .where('asset_id', '=', assetId)
      .orderBy('attribute')
      .execute();
    return rows.map((row) => ({
      attribute: row.attribute,
      kind: row.kind as AttributeState['kind'],
      value: valueFromColumns(row),
      ...(row.unit === null ? {} : { unit: row.unit }),
      quality: row.quality as AttributeState['quality'],
      sourceTime: row.source_time.toISOString(),
      ingestTime: row.ingest_time.toISOString(),
      eventId: row.event_id,
      position: `${row.stream_partition}:${row.stream_offset}`,
    }));
  }

  async assetExists(tenant: string, assetId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('asset_state')
      .select('attribute')
      .where('tenant', '=', tenant)
      .where('asset_id', '=', assetId)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** The newest windows first. */
  async aggregates(tenant: string, assetId: string, query: AggregatesQuery): Promise<Window[]> {
    let select = this.db
      .selectFrom('asset_aggregates')
      .selectAll()
      .where('tenant', '=', tenant)
      .where('asset_id', '=', assetId)
      .where('window_size', '=', query.window);
    if (query.attribute) select = select.where('attribute', '=', query.attribute);
    if (query.from) select = select.where('window_start', '>=', new Date(query.from));
    if (query.to) select = select.where('window_start', '<', new Date(query.to));
    const rows = await select
      .orderBy('window_start', 'desc')
      .orderBy('attribute')
      .limit(query.limit)
      .execute();
    return rows.map((row) => ({
      attribute: row.attribute,
      windowStart: row.window_start.toISOString(),
      windowEnd: row.window_end.toISOString(),
      count: Number(row.event_count),
      min: row.min_value,
      max: row.max_value,
      avg: row.avg_value,
      sum: row.sum_value,
      last: typedValueOf(row.last_type, row.last_value),
      lastTime: row.last_time.toISOString(),
    }));
  }
}
