import { CommitFailedError } from '../catalog.errors.ts';
import { sameLong } from '../json/lossless-json.ts';
import type { TableRequirement } from './commit.schema.ts';
import { refName, type TableMetadata } from './table-metadata.ts';

/** The requirements that compare one id of the table: the metadata field and what it is called. */
const ID_REQUIREMENTS = {
  'assert-last-assigned-field-id': ['last-column-id', 'last assigned field id'],
  'assert-current-schema-id': ['current-schema-id', 'current schema id'],
  'assert-last-assigned-partition-id': ['last-partition-id', 'last assigned partition id'],
  'assert-default-spec-id': ['default-spec-id', 'default partition spec id'],
  'assert-default-sort-order-id': ['default-sort-order-id', 'default sort order id'],
} as const satisfies Record<string, readonly [keyof TableMetadata, string]>;

function fail(message: string): never {
  throw new CommitFailedError(`Requirement failed: ${message}`);
}

/**
 * Checks a commit's requirements against the metadata it would replace (`undefined` when the
 * table does not exist yet). Any failure is a CommitFailedException: the client's view is stale.
 */
export function checkRequirements(
  base: TableMetadata | undefined,
  requirements: readonly TableRequirement[],
): void {
  for (const requirement of requirements) {
    if (requirement.type === 'assert-create') {
      if (base) fail('table already exists');
      continue;
    }
    if (!base) fail(`${requirement.type} on a table that does not exist`);
    switch (requirement.type) {
      case 'assert-table-uuid':
        if (base['table-uuid'].toLowerCase() !== requirement.uuid.toLowerCase())
          fail(`table UUID does not match: expected ${requirement.uuid} != ${base['table-uuid']}`);
        break;
      case 'assert-ref-snapshot-id': {
        const name = refName(requirement.ref);
        const ref = base.refs[name];
        const expected = requirement['snapshot-id'];
        if (expected === null) {
          if (ref) fail(`branch or tag ${requirement.ref} was created concurrently`);
        } else if (!ref) {
          fail(`branch or tag ${requirement.ref} is missing, expected ${expected}`);
        } else if (!sameLong(ref['snapshot-id'], expected)) {
          fail(
            `${ref.type} ${requirement.ref} has changed: expected id ${expected} != ${ref['snapshot-id']}`,
          );
        }
        break;
      }
      default: {
        const [field, what] = ID_REQUIREMENTS[requirement.type];
        const expected = (requirement as unknown as Record<string, number>)[
          requirement.type.replace(/^assert-/, '')
        ];
        if (base[field] !== expected) fail(`${what} changed: expected id ${expected} != ${base[field]}`);
      }
    }
  }
}
