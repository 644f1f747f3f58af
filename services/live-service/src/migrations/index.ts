import type { Migrations } from '@openfoundry/service-kit';
import * as createForwarderPartitions from './0001-create-forwarder-partitions.ts';

/** Applied in name order by the kit's migrator on start. */
export const migrations: Migrations = {
  '0001-create-forwarder-partitions': createForwarderPartitions,
};
