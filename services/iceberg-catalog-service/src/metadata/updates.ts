import { BadRequestError, CommitFailedError } from '../catalog.errors.ts';
import { type Long, longKey, sameLong } from '../json/lossless-json.ts';
import { applyLocationOrProperties, type TableUpdate } from './commit.schema.ts';
import {
  DEFAULT_PREVIOUS_VERSIONS_MAX,
  hasSnapshot,
  MAIN_BRANCH,
  NO_SNAPSHOT,
  PARTITION_FIELD_ID_START,
  type PartitionSpec,
  PREVIOUS_VERSIONS_MAX_PROPERTY,
  refName,
  type Schema,
  type SortOrder,
  SUPPORTED_FORMAT_VERSIONS,
  type TableMetadata,
  UNSORTED_ORDER_ID,
} from './table-metadata.ts';

/** -1 in set-current-schema, set-default-spec and set-default-sort-order: "the one this commit added". */
const LAST_ADDED = -1;

/** A canonical text of a JSON value with object keys sorted, to compare schemas, specs and orders by content. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v && typeof v === 'object' && !Array.isArray(v))
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)),
      );
    return v;
  });
}

function highestFieldId(fields: Schema['fields']): number {
  let highest = 0;
  const visit = (type: unknown) => {
    if (!type || typeof type !== 'object') return;
    const nested = type as Record<string, unknown>;
    if (nested.type === 'struct') for (const field of nested.fields as Schema['fields']) visitField(field);
    if (nested.type === 'list') {
      highest = Math.max(highest, nested['element-id'] as number);
      visit(nested.element);
    }
    if (nested.type === 'map') {
      highest = Math.max(highest, nested['key-id'] as number, nested['value-id'] as number);
      visit(nested.key);
      visit(nested.value);
    }
  };
  const visitField = (field: Schema['fields'][number]) => {
    highest = Math.max(highest, field.id);
    visit(field.type);
  };
  for (const field of fields) visitField(field);
  return highest;
}

function nextId(ids: number[], first: number): number {
  return ids.length ? Math.max(...ids) + 1 : first;
}

/**
 * Adds a schema (ignoring the id the client gave it) unless an identical one exists; returns the
 * id it has in `schemas`, reused or new.
 */
export function addSchema(
  schemas: Schema[],
  schema: Omit<Schema, 'schema-id'> & { 'schema-id'?: number },
): number {
  const { 'schema-id': _ignored, ...content } = schema;
  const same = schemas.find(
    ({ 'schema-id': _id, ...existing }) => canonical(existing) === canonical(content),
  );
  if (same) return same['schema-id'];
  const schemaId = nextId(
    schemas.map((s) => s['schema-id']),
    0,
  );
  schemas.push({ ...content, 'schema-id': schemaId } as Schema);
  return schemaId;
}

export interface ApplyContext {
  /** The clock for last-updated-ms and log entries. */
  nowMs: number;
  /** Where `base` was read from, recorded in the metadata log; undefined for a new table. */
  baseLocation?: string | undefined;
}

/**
 * Applies a commit's updates to a copy of `base`, in order, with the rules of the Iceberg table spec.
 * Updates that break an invariant (a missing snapshot, a downgrade, removing the current schema)
 * are a bad request; a snapshot older than the table's sequence number is a lost race (409).
 */
export function applyUpdates(
  base: TableMetadata,
  updates: readonly TableUpdate[],
  context: ApplyContext,
): TableMetadata {
  const metadata: TableMetadata = structuredClone(base);
  let lastAddedSchemaId: number | undefined;
  let lastAddedSpecId: number | undefined;
  let lastAddedOrderId: number | undefined;
  const addedSnapshots = new Map<string, number>();
  let changed = false;
  let lastUpdatedMs = context.nowMs;

  const snapshotExists = (id: Long) => metadata.snapshots.some((s) => sameLong(s['snapshot-id'], id));
  const setMain = (id: Long) => {
    if (sameLong(metadata['current-snapshot-id'], id)) return;
    metadata['current-snapshot-id'] = id;
    metadata['snapshot-log'].push({
      'snapshot-id': id,
      'timestamp-ms': addedSnapshots.get(longKey(id)) ?? context.nowMs,
    });
  };

  for (const update of updates) {
    changed = true;
    switch (update.action) {
      case 'assign-uuid':
        if (metadata['table-uuid'] && metadata['table-uuid'] !== update.uuid)
          throw new BadRequestError(
            `Cannot reassign the table UUID ${metadata['table-uuid']} to ${update.uuid}`,
          );
        metadata['table-uuid'] = update.uuid;
        break;

      case 'upgrade-format-version': {
        const version = update['format-version'];
        if (!(SUPPORTED_FORMAT_VERSIONS as readonly number[]).includes(version))
          throw new BadRequestError(`Unsupported format version: ${version}`);
        if (version < metadata['format-version'])
          throw new BadRequestError(
            `Cannot downgrade format version from ${metadata['format-version']} to ${version}`,
          );
        metadata['format-version'] = version;
        break;
      }

      case 'add-schema': {
        const schemaId = addSchema(metadata.schemas, update.schema);
        metadata['last-column-id'] = Math.max(
          metadata['last-column-id'],
          update['last-column-id'] ?? 0,
          highestFieldId(update.schema.fields),
        );
        lastAddedSchemaId = schemaId;
        break;
      }

      case 'set-current-schema': {
        const id = update['schema-id'] === LAST_ADDED ? lastAddedSchemaId : update['schema-id'];
        if (id === undefined)
          throw new BadRequestError(
            'Cannot set the current schema to the last added one: no schema was added',
          );
        if (!metadata.schemas.some((s) => s['schema-id'] === id))
          throw new BadRequestError(`Schema ${id} does not exist`);
        metadata['current-schema-id'] = id;
        break;
      }

      case 'add-spec': {
        let lastId = metadata['last-partition-id'];
        const fields = update.spec.fields.map((field) => {
          const fieldId = field['field-id'] ?? ++lastId;
          return { ...field, 'field-id': fieldId };
        });
        const same = metadata['partition-specs'].find((s) => canonical(s.fields) === canonical(fields));
        const specId =
          same?.['spec-id'] ??
          nextId(
            metadata['partition-specs'].map((s) => s['spec-id']),
            0,
          );
        if (!same) metadata['partition-specs'].push({ 'spec-id': specId, fields } as PartitionSpec);
        metadata['last-partition-id'] = Math.max(
          metadata['last-partition-id'],
          PARTITION_FIELD_ID_START - 1,
          ...fields.map((f) => f['field-id']),
        );
        lastAddedSpecId = specId;
        break;
      }

      case 'set-default-spec': {
        const id = update['spec-id'] === LAST_ADDED ? lastAddedSpecId : update['spec-id'];
        if (id === undefined)
          throw new BadRequestError('Cannot set the default spec to the last added one: no spec was added');
        if (!metadata['partition-specs'].some((s) => s['spec-id'] === id))
          throw new BadRequestError(`Partition spec ${id} does not exist`);
        metadata['default-spec-id'] = id;
        break;
      }

      case 'add-sort-order': {
        const fields = update['sort-order'].fields;
        const same = metadata['sort-orders'].find((o) => canonical(o.fields) === canonical(fields));
        const orderId =
          same?.['order-id'] ??
          (fields.length === 0
            ? UNSORTED_ORDER_ID
            : nextId(
                metadata['sort-orders'].map((o) => o['order-id']).filter((id) => id !== UNSORTED_ORDER_ID),
                1,
              ));
        if (!same) metadata['sort-orders'].push({ 'order-id': orderId, fields } as SortOrder);
        lastAddedOrderId = orderId;
        break;
      }

      case 'set-default-sort-order': {
        const id = update['sort-order-id'] === LAST_ADDED ? lastAddedOrderId : update['sort-order-id'];
        if (id === undefined)
          throw new BadRequestError(
            'Cannot set the default sort order to the last added one: none was added',
          );
        if (!metadata['sort-orders'].some((o) => o['order-id'] === id))
          throw new BadRequestError(`Sort order ${id} does not exist`);
        metadata['default-sort-order-id'] = id;
        break;
      }

      case 'add-snapshot': {
        const snapshot = update.snapshot;
        const id = snapshot['snapshot-id'];
        if (snapshotExists(id)) throw new BadRequestError(`Snapshot already exists: ${id}`);
        const sequence = snapshot['sequence-number'];
        if (
          metadata['format-version'] >= 2 &&
          sequence !== undefined &&
          hasSnapshot(snapshot['parent-snapshot-id']) &&
          BigInt(sequence) <= BigInt(metadata['last-sequence-number'])
        )
          throw new CommitFailedError(
            `Cannot add snapshot with sequence number ${sequence} older than last sequence number ${metadata['last-sequence-number']}`,
          );
        metadata.snapshots.push(snapshot);
        if (sequence !== undefined && BigInt(sequence) > BigInt(metadata['last-sequence-number']))
          metadata['last-sequence-number'] = sequence;
        addedSnapshots.set(longKey(id), snapshot['timestamp-ms']);
        lastUpdatedMs = snapshot['timestamp-ms'];
        break;
      }

      case 'set-snapshot-ref': {
        const name = refName(update['ref-name']);
        const id = update['snapshot-id'];
        if (!snapshotExists(id))
          throw new BadRequestError(`Cannot set ${update['ref-name']} to unknown snapshot: ${id}`);
        if (name === MAIN_BRANCH && update.type !== 'branch')
          throw new BadRequestError('The main branch must be a branch');
        metadata.refs[name] = {
          'snapshot-id': id,
          type: update.type,
          ...(update['max-ref-age-ms'] === undefined ? {} : { 'max-ref-age-ms': update['max-ref-age-ms'] }),
          ...(update['max-snapshot-age-ms'] === undefined
            ? {}
            : { 'max-snapshot-age-ms': update['max-snapshot-age-ms'] }),
          ...(update['min-snapshots-to-keep'] === undefined
            ? {}
            : { 'min-snapshots-to-keep': update['min-snapshots-to-keep'] }),
        };
        if (name === MAIN_BRANCH) setMain(id);
        break;
      }

      case 'remove-snapshot-ref': {
        const name = refName(update['ref-name']);
        delete metadata.refs[name];
        if (name === MAIN_BRANCH) metadata['current-snapshot-id'] = NO_SNAPSHOT;
        break;
      }

      case 'remove-snapshots': {
        const removed = new Set(update['snapshot-ids'].map(longKey));
        metadata.snapshots = metadata.snapshots.filter((s) => !removed.has(longKey(s['snapshot-id'])));
        for (const [name, ref] of Object.entries(metadata.refs)) {
          if (!removed.has(longKey(ref['snapshot-id']))) continue;
          delete metadata.refs[name];
          if (name === MAIN_BRANCH) metadata['current-snapshot-id'] = NO_SNAPSHOT;
        }
        metadata.statistics = metadata.statistics.filter((s) => !removed.has(longKey(s['snapshot-id'])));
        metadata['partition-statistics'] = metadata['partition-statistics'].filter(
          (s) => !removed.has(longKey(s['snapshot-id'])),
        );
        // History before a removed snapshot can no longer be replayed: keep only the log after it.
        const log = metadata['snapshot-log'];
        const lastGone = log.findLastIndex((entry) => removed.has(longKey(entry['snapshot-id'])));
        metadata['snapshot-log'] = log.slice(lastGone + 1);
        break;
      }

      case 'set-location':
      case 'set-properties':
      case 'remove-properties':
        applyLocationOrProperties(metadata, update);
        break;

      case 'set-statistics': {
        const statistics = update.statistics;
        metadata.statistics = [
          ...metadata.statistics.filter((s) => !sameLong(s['snapshot-id'], statistics['snapshot-id'])),
          statistics,
        ];
        break;
      }

      case 'remove-statistics':
        metadata.statistics = metadata.statistics.filter(
          (s) => !sameLong(s['snapshot-id'], update['snapshot-id']),
        );
        break;

      case 'set-partition-statistics': {
        const statistics = update['partition-statistics'];
        metadata['partition-statistics'] = [
          ...metadata['partition-statistics'].filter(
            (s) => !sameLong(s['snapshot-id'], statistics['snapshot-id']),
          ),
          statistics,
        ];
        break;
      }

      case 'remove-partition-statistics':
        metadata['partition-statistics'] = metadata['partition-statistics'].filter(
          (s) => !sameLong(s['snapshot-id'], update['snapshot-id']),
        );
        break;

      case 'remove-partition-specs':
        if (update['spec-ids'].includes(metadata['default-spec-id']))
          throw new BadRequestError(
            `Cannot remove the default partition spec ${metadata['default-spec-id']}`,
          );
        metadata['partition-specs'] = metadata['partition-specs'].filter(
          (s) => !update['spec-ids'].includes(s['spec-id']),
        );
        break;

      case 'remove-schemas':
        if (update['schema-ids'].includes(metadata['current-schema-id']))
          throw new BadRequestError(`Cannot remove the current schema ${metadata['current-schema-id']}`);
        metadata.schemas = metadata.schemas.filter((s) => !update['schema-ids'].includes(s['schema-id']));
        break;
    }
  }

  if (!changed) return metadata;
  metadata['last-updated-ms'] = Math.max(lastUpdatedMs, base['last-updated-ms']);
  if (context.baseLocation) {
    const max = Number(metadata.properties[PREVIOUS_VERSIONS_MAX_PROPERTY] ?? DEFAULT_PREVIOUS_VERSIONS_MAX);
    metadata['metadata-log'] = [
      ...metadata['metadata-log'],
      { 'metadata-file': context.baseLocation, 'timestamp-ms': base['last-updated-ms'] },
    ].slice(-Math.max(1, max));
  }
  return metadata;
}

/** The invariants a table must satisfy after a commit, whatever its updates were. */
export function validateMetadata(metadata: TableMetadata): void {
  const problems: string[] = [];
  if (!metadata['table-uuid']) problems.push('the table has no UUID');
  if (!metadata.location) problems.push('the table has no location');
  if (!metadata.schemas.some((s) => s['schema-id'] === metadata['current-schema-id']))
    problems.push('the current schema is missing');
  if (!metadata['partition-specs'].some((s) => s['spec-id'] === metadata['default-spec-id']))
    problems.push('the default partition spec is missing');
  if (!metadata['sort-orders'].some((o) => o['order-id'] === metadata['default-sort-order-id']))
    problems.push('the default sort order is missing');
  if (problems.length)
    throw new BadRequestError(`Invalid table metadata after the commit: ${problems.join('; ')}`);
}
