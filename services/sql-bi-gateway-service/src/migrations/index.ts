import type { Migrations } from '@openfoundry/service-kit';
import * as createCatalogGrants from './0001-create-catalog-grants.ts';

/** Applied in name order by the kit's migrator on start. */
export const migrations: Migrations = {
  '0001-create-catalog-grants': createCatalogGrants,
};
