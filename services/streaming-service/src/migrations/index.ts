import { type Migrations, outboxMigration } from '@openfoundry/service-kit';
import * as readModels from './0001-read-models.ts';

/** Applied in name order by the kit's migrator on start. */
export const migrations: Migrations = {
  '0001-read-models': readModels,
  '0002-outbox': outboxMigration,
};
