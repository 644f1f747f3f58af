import type { Migrations } from '@openfoundry/service-kit';
import * as createConnectorManagement from './0001-create-connector-management.ts';
import * as commandRecords from './0002-command-records.ts';
import * as commandRecordRefusals from './0003-command-record-refusals.ts';
import * as deviceChangeCounter from './0004-device-change-counter.ts';

/** Applied in name order by the kit's migrator on start. */
export const migrations: Migrations = {
  '0001-create-connector-management': createConnectorManagement,
  '0002-command-records': commandRecords,
  '0003-command-record-refusals': commandRecordRefusals,
  '0004-device-change-counter': deviceChangeCounter,
};
