import type { Migrations } from '@openfoundry/service-kit';
import * as createConnectorManagement from './0001-create-connector-management.ts';

/** Applied in name order by the kit's migrator on start. */
export const migrations: Migrations = {
  '0001-create-connector-management': createConnectorManagement,
};
