/** The subset of Avro schemas Iceberg metadata uses, plus what other writers may put in a manifest. */
export type AvroPrimitive = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string';

export interface AvroField {
  name: string;
  type: AvroSchema;
  default?: unknown;
  /** Iceberg's field id, carried as a custom attribute so readers can map columns by id. */
  'field-id'?: number;
  doc?: string;
}

export interface AvroRecord {
  type: 'record';
  name: string;
  fields: AvroField[];
  namespace?: string;
}

export interface AvroArray {
  type: 'array';
  items: AvroSchema;
  logicalType?: string;
  'element-id'?: number;
}

export interface AvroMap {
  type: 'map';
  values: AvroSchema;
}

export interface AvroFixed {
  type: 'fixed';
  name: string;
  size: number;
  logicalType?: string;
  precision?: number;
  scale?: number;
}

export interface AvroEnum {
  type: 'enum';
  name: string;
  symbols: string[];
}

/** A primitive with attributes, such as `{ "type": "long", "logicalType": "timestamp-micros" }`. */
export interface AvroAnnotated {
  type: AvroPrimitive;
  logicalType?: string;
  [attribute: string]: unknown;
}

export type AvroSchema =
  | AvroPrimitive
  | AvroRecord
  | AvroArray
  | AvroMap
  | AvroFixed
  | AvroEnum
  | AvroAnnotated
  | AvroSchema[]
  /** A reference to a named type defined earlier in the schema. */
  | string;

export type NamedAvroType = AvroRecord | AvroFixed | AvroEnum;

export function nullable(type: AvroSchema): AvroSchema[] {
  return ['null', type];
}

/** Named types of a schema by their (full and short) name, for resolving references while decoding. */
export function namedTypes(
  schema: AvroSchema,
  names = new Map<string, NamedAvroType>(),
): Map<string, NamedAvroType> {
  if (Array.isArray(schema)) {
    for (const branch of schema) namedTypes(branch, names);
  } else if (typeof schema === 'object') {
    switch (schema.type) {
      case 'record':
        register(schema, names);
        for (const field of schema.fields) namedTypes(field.type, names);
        break;
      case 'fixed':
      case 'enum':
        register(schema, names);
        break;
      case 'array':
        namedTypes(schema.items, names);
        break;
      case 'map':
        namedTypes(schema.values, names);
        break;
    }
  }
  return names;
}

function register(type: NamedAvroType, names: Map<string, NamedAvroType>): void {
  names.set(type.name, type);
  if ('namespace' in type && type.namespace) names.set(`${type.namespace}.${type.name}`, type);
}
