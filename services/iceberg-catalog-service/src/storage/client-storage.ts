import { Injectable } from '@nestjs/common';
import { InjectConfig } from '@openfoundry/service-kit';
import type { CatalogConfig } from '../config.ts';

/**
 * What a client needs to read and write the warehouse itself, in the property names PyIceberg,
 * the Java FileIO and DuckDB understand: handed out in the catalog config and with every table.
 */
@Injectable()
export class ClientStorage {
  readonly properties: Record<string, string>;

  constructor(@InjectConfig() config: CatalogConfig) {
    this.properties = {
      's3.endpoint': config.CATALOG_CLIENT_S3_ENDPOINT ?? config.OPENFOUNDRY_S3_ENDPOINT,
      's3.path-style-access': 'true',
      's3.region': config.OPENFOUNDRY_S3_REGION,
      'client.region': config.OPENFOUNDRY_S3_REGION,
      's3.access-key-id': config.OPENFOUNDRY_S3_ACCESS_KEY,
      's3.secret-access-key': config.OPENFOUNDRY_S3_SECRET_KEY,
    };
  }
}
