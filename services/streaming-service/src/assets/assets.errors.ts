import { NotFoundError } from '@openfoundry/service-kit';

export const AssetErrorCode = {
  ASSET_NOT_FOUND: 'ASSET_NOT_FOUND',
} as const;

export class AssetNotFoundError extends NotFoundError {
  constructor(tenant: string, assetId: string) {
    super(AssetErrorCode.ASSET_NOT_FOUND, `asset ${assetId} of tenant ${tenant} has no state`);
  }
}
