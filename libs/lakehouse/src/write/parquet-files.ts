import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type DuckDBConnection, quotedIdentifier, quotedString } from '@duckdb/node-api';
import { duckdbType, isPrimitive, parquetFieldIds, toBinary } from '../iceberg/iceberg-types.ts';
import { type DataFile, FileContent, type KeyValue } from '../iceberg/manifest.ts';
import { epochSql, type PartitionColumn, partitionPath } from '../iceberg/partitioning.ts';
import type { IcebergType, NestedField, Schema } from '../iceberg/table-metadata.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { InvalidSourceError } from './writer.errors.ts';

/** A data file uploaded to the table's location, described as a manifest entry describes it. */
export interface WrittenFile {
  dataFile: DataFile;
  /** Bytes of the file, for the snapshot summary's added-files-size. */
  size: number;
}

export interface ParquetTarget {
  schema: Schema;
  partition: readonly PartitionColumn[];
  /** The table's data directory, s3://…/data */
  dataLocation: string;
  store: ObjectStore;
  /** A local directory for files on their way to the object store. */
  workDir: string;
}

const BOUND_LENGTH = 16;

/**
 * Writes the rows of a DuckDB table or view as Parquet data files under the current schema: one
 * file per partition value, columns cast to their Iceberg types and tagged with field ids, each
 * file's column metrics read back from the file itself.
 */
export async function writeParquetFiles(
  connection: DuckDBConnection,
  relation: string,
  target: ParquetTarget,
): Promise<WrittenFile[]> {
  const cast = await castProjection(connection, relation, target);
  const columns = columnList(target.schema);
  if (!target.partition.length) {
    const file = await writeOne(connection, `SELECT ${columns} FROM (${cast})`, {}, target);
    return file ? [file] : [];
  }
  // Partition values are computed from the cast columns, so they see the Iceberg types.
  const values = target.partition.map((c, i) => `${c.sql} AS __p${i}`).join(', ');
  const keys = target.partition.map((_, i) => `__p${i}`).join(', ');
  const distinct = (
    await connection.runAndReadAll(`SELECT DISTINCT ${values} FROM (${cast})`)
  ).getRowObjects();
  const partitionOf = (part: Record<string, unknown>) =>
    Object.fromEntries(target.partition.map((c, i) => [c.field.name, part[`__p${i}`] ?? null]));
  if (distinct.length <= 1) {
    // The common case (a stream's rows of one day): one file straight from the source, no staging
    // table and no sort.
    const file = await writeOne(
      connection,
      `SELECT ${columns} FROM (${cast})`,
      partitionOf(distinct[0] ?? {}),
      target,
    );
    return file ? [file] : [];
  }
  const projected = `__lakehouse_${randomUUID().replaceAll('-', '')}`;
  await connection.run(
    `CREATE TEMP TABLE ${projected} AS SELECT *, dense_rank() OVER (ORDER BY ${keys}) AS __part FROM (SELECT *, ${values} FROM (${cast}))`,
  );
  try {
    const parts = (
      await connection.runAndReadAll(`SELECT DISTINCT __part, ${keys} FROM ${projected}`)
    ).getRowObjects();
    const written: WrittenFile[] = [];
    for (const part of parts) {
      const query = `SELECT ${columns} FROM ${projected} WHERE __part = ${Number(part.__part)}`;
      const file = await writeOne(connection, query, partitionOf(part), target);
      if (file) written.push(file);
    }
    return written;
  } finally {
    await connection.run(`DROP TABLE IF EXISTS ${projected}`);
  }
}

/** The source's columns matched to the schema by name (case-insensitively) and cast, absent optional ones null. */
async function castProjection(
  connection: DuckDBConnection,
  relation: string,
  target: ParquetTarget,
): Promise<string> {
  const described = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${relation}`)).getRowObjects();
  const available = new Map(
    described.map((row) => [String(row.column_name).toLowerCase(), String(row.column_name)]),
  );
  const columns = target.schema.fields.map((field) => {
    const source = available.get(field.name.toLowerCase());
    if (!source && field.required)
      throw new InvalidSourceError(`the source has no column for required field ${field.name}`);
    const value = source ? quotedIdentifier(source) : 'NULL';
    return `CAST(${value} AS ${duckdbType(field.type)}) AS ${quotedIdentifier(field.name)}`;
  });
  return `SELECT ${columns.join(', ')} FROM ${relation}`;
}

function columnList(schema: Schema): string {
  return schema.fields.map((f) => quotedIdentifier(f.name)).join(', ');
}

async function writeOne(
  connection: DuckDBConnection,
  query: string,
  partition: Record<string, unknown>,
  target: ParquetTarget,
): Promise<WrittenFile | undefined> {
  const local = join(target.workDir, `${randomUUID()}.parquet`);
  try {
    await connection.run(
      `COPY (${query}) TO ${quotedString(local)} (FORMAT parquet, COMPRESSION zstd, FIELD_IDS ${parquetFieldIds(target.schema.fields)})`,
    );
    const metrics = await columnMetrics(connection, local, target.schema);
    if (metrics.recordCount === 0) return undefined;
    const bytes = await readFile(local);
    const dir = target.partition.length ? `${partitionPath(target.partition, partition)}/` : '';
    const path = `${target.dataLocation}/${dir}${randomUUID()}.parquet`;
    await target.store.create(path, bytes);
    return {
      size: bytes.length,
      dataFile: {
        content: FileContent.Data,
        file_path: path,
        file_format: 'PARQUET',
        partition,
        record_count: metrics.recordCount,
        file_size_in_bytes: bytes.length,
        column_sizes: metrics.columnSizes,
        value_counts: metrics.valueCounts,
        null_value_counts: metrics.nullValueCounts,
        nan_value_counts: metrics.nanValueCounts,
        lower_bounds: metrics.lowerBounds,
        upper_bounds: metrics.upperBounds,
        sort_order_id: null,
      },
    };
  } finally {
    await rm(local, { force: true });
  }
}

interface ColumnMetrics {
  recordCount: number;
  columnSizes: KeyValue<number>[];
  valueCounts: KeyValue<number>[];
  nullValueCounts: KeyValue<number>[];
  nanValueCounts: KeyValue<number>[];
  lowerBounds: KeyValue<Uint8Array>[];
  upperBounds: KeyValue<Uint8Array>[];
}

/** Metrics of the top-level primitive columns, as Iceberg readers use them to skip files. */
async function columnMetrics(
  connection: DuckDBConnection,
  file: string,
  schema: Schema,
): Promise<ColumnMetrics> {
  const primitives = schema.fields.filter((f) => isPrimitive(f.type));
  const selects = ['count(*)::BIGINT AS n'];
  primitives.forEach((field, i) => {
    const c = quotedIdentifier(field.name);
    selects.push(`count(${c})::BIGINT AS v${i}`);
    const floating = field.type === 'float' || field.type === 'double';
    const filter = floating ? ` FILTER (WHERE NOT isnan(${c}))` : '';
    if (floating) selects.push(`count(*) FILTER (WHERE isnan(${c}))::BIGINT AS nan${i}`);
    const bound = boundSql(field.type);
    if (bound) {
      selects.push(`${bound(`min(${c})${filter}`)} AS lo${i}`, `${bound(`max(${c})${filter}`)} AS hi${i}`);
    }
  });
  const row = (
    await connection.runAndReadAll(`SELECT ${selects.join(', ')} FROM read_parquet(${quotedString(file)})`)
  ).getRowObjects()[0] as Record<string, unknown>;
  const sizes = (
    await connection.runAndReadAll(
      `SELECT path_in_schema AS name, sum(total_compressed_size)::BIGINT AS size FROM parquet_metadata(${quotedString(file)}) GROUP BY path_in_schema`,
    )
  ).getRowObjects();
  const sizeByName = new Map(sizes.map((s) => [String(s.name), Number(s.size)]));
  const recordCount = Number(row.n);
  const metrics: ColumnMetrics = {
    recordCount,
    columnSizes: [],
    valueCounts: [],
    nullValueCounts: [],
    nanValueCounts: [],
    lowerBounds: [],
    upperBounds: [],
  };
  primitives.forEach((field, i) => {
    const nonNull = Number(row[`v${i}`]);
    if (field.required && nonNull < recordCount)
      throw new InvalidSourceError(`the required field ${field.name} has null values`);
    const size = sizeByName.get(field.name);
    if (size !== undefined) metrics.columnSizes.push({ key: field.id, value: size });
    metrics.valueCounts.push({ key: field.id, value: recordCount });
    metrics.nullValueCounts.push({ key: field.id, value: recordCount - nonNull });
    if (row[`nan${i}`] !== undefined)
      metrics.nanValueCounts.push({ key: field.id, value: Number(row[`nan${i}`]) });
    const lower = lowerBound(field, row[`lo${i}`]);
    const upper = upperBound(field, row[`hi${i}`]);
    if (lower && upper) {
      metrics.lowerBounds.push({ key: field.id, value: lower });
      metrics.upperBounds.push({ key: field.id, value: upper });
    }
  });
  return metrics;
}

/** SQL turning an aggregate into the value `toBinary` expects, or undefined for types without bounds here. */
function boundSql(type: IcebergType): ((aggregate: string) => string) | undefined {
  switch (type) {
    case 'boolean':
    case 'int':
    case 'long':
    case 'float':
    case 'double':
    case 'string':
    case 'binary':
      return (a) => a;
    case 'date':
    case 'timestamp':
    case 'timestamptz':
      return (a) => epochSql(a, type);
    case 'uuid':
      return (a) => `${a}::VARCHAR`;
  }
  // Decimal text without its point is the unscaled integer.
  if (typeof type === 'string' && type.startsWith('decimal')) return (a) => `replace(${a}::VARCHAR, '.', '')`;
  return undefined;
}

function boundValue(field: NestedField, value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (typeof field.type === 'string' && field.type.startsWith('decimal')) return BigInt(value as string);
  if (field.type === 'binary') return (value as { bytes: Uint8Array }).bytes;
  return value;
}

function lowerBound(field: NestedField, raw: unknown): Uint8Array | undefined {
  const value = boundValue(field, raw);
  if (value === undefined) return undefined;
  if (field.type === 'string')
    return toBinary('string', [...(value as string)].slice(0, BOUND_LENGTH).join(''));
  if (field.type === 'binary') return (value as Uint8Array).slice(0, BOUND_LENGTH);
  return toBinary(field.type, value);
}

/** Long strings and binaries get a short upper bound that still sorts above every value: a truncated prefix, its last unit incremented. */
function upperBound(field: NestedField, raw: unknown): Uint8Array | undefined {
  const value = boundValue(field, raw);
  if (value === undefined) return undefined;
  if (field.type === 'string') {
    const chars = [...(value as string)];
    if (chars.length <= BOUND_LENGTH) return toBinary('string', value);
    const prefix = chars.slice(0, BOUND_LENGTH);
    for (let i = prefix.length - 1; i >= 0; i--) {
      const next = (prefix[i] as string).codePointAt(0) as number;
      if (next < 0x10ffff && !(next + 1 >= 0xd800 && next + 1 <= 0xdfff)) {
        return toBinary('string', [...prefix.slice(0, i), String.fromCodePoint(next + 1)].join(''));
      }
    }
    return undefined;
  }
  if (field.type === 'binary') {
    const bytes = value as Uint8Array;
    if (bytes.length <= BOUND_LENGTH) return bytes;
    const prefix = bytes.slice(0, BOUND_LENGTH);
    for (let i = prefix.length - 1; i >= 0; i--) {
      if ((prefix[i] as number) < 0xff) {
        const upper = prefix.slice(0, i + 1);
        upper[i] = (upper[i] as number) + 1;
        return upper;
      }
    }
    return undefined;
  }
  return toBinary(field.type, value);
}
