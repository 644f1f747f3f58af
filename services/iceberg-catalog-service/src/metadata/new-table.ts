import { BadRequestError } from '../catalog.errors.ts';
import type { CreateTableRequest } from './commit.schema.ts';
import {
  DEFAULT_FORMAT_VERSION,
  type IcebergType,
  type NestedField,
  NO_SNAPSHOT,
  PARTITION_FIELD_ID_START,
  type PartitionSpec,
  type Schema,
  type SortOrder,
  type TableMetadata,
  UNSORTED_ORDER_ID,
} from './table-metadata.ts';

const FORMAT_VERSION_PROPERTY = 'format-version';

/**
 * Renumbers every field id from 1 in the order the Iceberg reference implementations use (a
 * struct's own fields first, then what nests inside them), so a table's ids never depend on what
 * a client happened to send. Returns the new type and fills `mapping` old id → new id.
 */
function renumber(type: IcebergType, next: () => number, mapping: Map<number, number>): IcebergType {
  if (typeof type === 'string') return type;
  if (type.type === 'struct') {
    const ids = type.fields.map((field) => {
      const id = next();
      mapping.set(field.id, id);
      return id;
    });
    return {
      ...type,
      fields: type.fields.map(
        (field, i): NestedField => ({ ...field, id: ids[i] ?? 0, type: renumber(field.type, next, mapping) }),
      ),
    };
  }
  if (type.type === 'list') {
    const elementId = next();
    mapping.set(type['element-id'], elementId);
    return { ...type, 'element-id': elementId, element: renumber(type.element, next, mapping) };
  }
  const keyId = next();
  const valueId = next();
  mapping.set(type['key-id'], keyId);
  mapping.set(type['value-id'], valueId);
  return {
    ...type,
    'key-id': keyId,
    'value-id': valueId,
    key: renumber(type.key, next, mapping),
    value: renumber(type.value, next, mapping),
  };
}

function mapped(mapping: Map<number, number>, id: number, what: string): number {
  const fresh = mapping.get(id);
  if (fresh === undefined)
    throw new BadRequestError(`${what} refers to field id ${id}, which is not in the schema`);
  return fresh;
}

export function freshSchema(schema: CreateTableRequest['schema']): {
  schema: Schema;
  mapping: Map<number, number>;
  lastColumnId: number;
} {
  let last = 0;
  const mapping = new Map<number, number>();
  const struct = renumber({ type: 'struct', fields: schema.fields }, () => ++last, mapping) as Schema;
  const identifiers = schema['identifier-field-ids'];
  return {
    schema: {
      type: 'struct',
      'schema-id': 0,
      ...(identifiers?.length
        ? { 'identifier-field-ids': identifiers.map((id) => mapped(mapping, id, 'identifier-field-ids')) }
        : {}),
      fields: struct.fields,
    },
    mapping,
    lastColumnId: last,
  };
}

export interface NewTableInput {
  request: CreateTableRequest;
  uuid: string;
  location: string;
  nowMs: number;
}

/** The metadata of a new table (format version 2), ids assigned fresh, before any snapshot. */
export function newTableMetadata({ request, uuid, location, nowMs }: NewTableInput): TableMetadata {
  const properties = { ...request.properties };
  const formatVersion = Number(properties[FORMAT_VERSION_PROPERTY] ?? DEFAULT_FORMAT_VERSION);
  delete properties[FORMAT_VERSION_PROPERTY];
  if (formatVersion !== DEFAULT_FORMAT_VERSION)
    throw new BadRequestError(
      `Unsupported format version for a new table: ${formatVersion} (this catalog creates version 2)`,
    );

  const { schema, mapping, lastColumnId } = freshSchema(request.schema);
  const specFields = (request['partition-spec']?.fields ?? []).map((field, i) => ({
    ...field,
    'source-id': mapped(mapping, field['source-id'], 'partition field'),
    'field-id': PARTITION_FIELD_ID_START + i,
  }));
  const spec: PartitionSpec = { 'spec-id': 0, fields: specFields };
  const orderFields = (request['write-order']?.fields ?? []).map((field) => ({
    ...field,
    'source-id': mapped(mapping, field['source-id'], 'sort field'),
  }));
  const order: SortOrder = { 'order-id': orderFields.length ? 1 : UNSORTED_ORDER_ID, fields: orderFields };

  return {
    ...emptyTableMetadata(nowMs),
    'format-version': formatVersion,
    'table-uuid': uuid,
    location,
    'last-column-id': lastColumnId,
    'current-schema-id': 0,
    schemas: [schema],
    'default-spec-id': 0,
    'partition-specs': [spec],
    'last-partition-id': PARTITION_FIELD_ID_START + specFields.length - 1,
    'default-sort-order-id': order['order-id'],
    'sort-orders': [order],
    properties,
  };
}

/**
 * The starting point of a table created by a commit with `assert-create` (a staged create): no
 * schema, spec or order yet, every id unassigned, filled in by the commit's updates.
 */
export function emptyTableMetadata(nowMs: number): TableMetadata {
  return {
    'format-version': DEFAULT_FORMAT_VERSION,
    'table-uuid': '',
    location: '',
    'last-sequence-number': 0,
    'last-updated-ms': nowMs,
    'last-column-id': 0,
    'current-schema-id': -1,
    schemas: [],
    'default-spec-id': -1,
    'partition-specs': [],
    'last-partition-id': PARTITION_FIELD_ID_START - 1,
    'default-sort-order-id': -1,
    'sort-orders': [],
    properties: {},
    'current-snapshot-id': NO_SNAPSHOT,
    refs: {},
    snapshots: [],
    statistics: [],
    'partition-statistics': [],
    'snapshot-log': [],
    'metadata-log': [],
  };
}
