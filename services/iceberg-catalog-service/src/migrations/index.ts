import type { Migrations } from '@openfoundry/service-kit';
import * as createCatalog from './0001-create-catalog.ts';
import * as views from './0002-views.ts';

/** Applied in name order by the kit's migrator on start. */
export const migrations: Migrations = {
  '0001-create-catalog': createCatalog,
  '0002-views': views,
};
