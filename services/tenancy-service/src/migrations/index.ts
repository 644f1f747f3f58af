import { type Migrations, outboxMigration } from '@openfoundry/service-kit';
import * as createTenants from './0001-create-tenants.ts';

/** Applied in name order by the kit's migrator on start. */
export const migrations: Migrations = {
  '0001-create-tenants': createTenants,
  '0002-outbox': outboxMigration,
};
