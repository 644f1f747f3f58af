import { Injectable } from '@nestjs/common';
import { AssetNotFoundError } from './assets.errors.ts';
import { AssetsRepository } from './assets.repository.ts';
import type {
  Aggregates,
  AggregatesQuery,
  AssetPage,
  AssetState,
  ListAssetsQuery,
} from './dto/assets.dto.ts';

@Injectable()
export class AssetsService {
  constructor(private readonly assets: AssetsRepository) {}

  async list(tenant: string, query: ListAssetsQuery): Promise<AssetPage> {
    const rows = await this.assets.listAssets(tenant, query);
    if (rows.length <= query.limit) return { items: rows };
    const items = rows.slice(0, query.limit);
    return { items, nextCursor: items.at(-1)?.assetId ?? '' };
  }

  async state(tenant: string, assetId: string): Promise<AssetState> {
    const attributes = await this.assets.state(tenant, assetId);
    if (attributes.length === 0) throw new AssetNotFoundError(tenant, assetId);
    return { tenant, assetId, attributes };
  }

  async aggregates(tenant: string, assetId: string, query: AggregatesQuery): Promise<Aggregates> {
    const [exists, items] = await Promise.all([
      this.assets.assetExists(tenant, assetId),
      this.assets.aggregates(tenant, assetId, query),
    ]);
    if (!exists) throw new AssetNotFoundError(tenant, assetId);
    return { tenant, assetId, window: query.window, items };
  }
}
