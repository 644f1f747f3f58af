import type { Migrations } from '@openfoundry/service-kit';
import * as createCommits from './0001-create-commits.ts';

/** Applied in name order by the kit's migrator on start. */
export const migrations: Migrations = {
  '0001-create-commits': createCommits,
};
