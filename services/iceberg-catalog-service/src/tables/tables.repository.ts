import { Injectable } from '@nestjs/common';
import { InjectDb } from '@openfoundry/service-kit';
import { type Kysely, sql, type Transaction } from 'kysely';
import { AlreadyExistsError, NoSuchNamespaceError } from '../catalog.errors.ts';
import type { CatalogDatabase } from '../database.ts';
import { pgCode } from '../namespaces/namespaces.repository.ts';

type Db = Kysely<CatalogDatabase> | Transaction<CatalogDatabase>;

export interface TableRef {
  namespace: string[];
  name: string;
}

export interface TablePointer extends TableRef {
  metadataLocation: string;
}

const PG_UNIQUE_VIOLATION = '23505';
const PG_FOREIGN_KEY_VIOLATION = '23503';
const levels = (namespace: readonly string[]) => sql<string[]>`${[...namespace]}::text[]`;

function toRow(table: TablePointer & { tableUuid: string }) {
  return {
    namespace: levels(table.namespace),
    name: table.name,
    metadata_location: table.metadataLocation,
    table_uuid: table.tableUuid,
  };
}

/** The table pointers: one row per table, its current metadata location the only thing a commit changes. */
@Injectable()
export class TablesRepository {
  constructor(@InjectDb() private readonly db: Db) {}

  transaction<T>(work: (repository: TablesRepository) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => work(new TablesRepository(trx)));
  }

  async find(table: TableRef): Promise<TablePointer | undefined> {
    const row = await this.db
      .selectFrom('tables')
      .select(['namespace', 'name', 'metadata_location'])
      .where('namespace', '=', levels(table.namespace))
      .where('name', '=', table.name)
      .executeTakeFirst();
    return row && { namespace: row.namespace, name: row.name, metadataLocation: row.metadata_location };
  }

  async list(
    namespace: readonly string[],
    options: { after?: string | undefined; limit?: number | undefined },
  ): Promise<string[]> {
    let query = this.db
      .selectFrom('tables')
      .select('name')
      .where('namespace', '=', levels(namespace))
      .orderBy('name');
    if (options.after !== undefined) query = query.where('name', '>', options.after);
    if (options.limit !== undefined) query = query.limit(options.limit);
    return (await query.execute()).map((row) => row.name);
  }

  async insert(table: TablePointer & { tableUuid: string }): Promise<void> {
    try {
      await this.db.insertInto('tables').values(toRow(table)).execute();
    } catch (error) {
      if (pgCode(error) === PG_UNIQUE_VIOLATION)
        throw new AlreadyExistsError(`Table already exists: ${[...table.namespace, table.name].join('.')}`);
      if (pgCode(error) === PG_FOREIGN_KEY_VIOLATION) throw new NoSuchNamespaceError(table.namespace);
      throw error;
    }
  }

  /** Points `table` at a metadata file whatever it pointed at before (register with overwrite). */
  async upsert(table: TablePointer & { tableUuid: string }): Promise<void> {
    try {
      await this.db
        .insertInto('tables')
        .values(toRow(table))
        .onConflict((oc) =>
          oc.columns(['namespace', 'name']).doUpdateSet({
            metadata_location: table.metadataLocation,
            table_uuid: table.tableUuid,
            updated_at: sql<Date>`now()`,
          }),
        )
        .execute();
    } catch (error) {
      if (pgCode(error) === PG_FOREIGN_KEY_VIOLATION) throw new NoSuchNamespaceError(table.namespace);
      throw error;
    }
  }

  /**
   * The commit: moves the pointer from `expected` to `next` only if nobody moved it since it was
   * read. False means another commit won; the caller answers 409 and the client retries.
   */
  async swap(table: TableRef, expected: string, next: string, tableUuid: string): Promise<boolean> {
    const result = await this.db
      .updateTable('tables')
      .set({ metadata_location: next, table_uuid: tableUuid, updated_at: sql<Date>`now()` })
      .where('namespace', '=', levels(table.namespace))
      .where('name', '=', table.name)
      .where('metadata_location', '=', expected)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** Removes the pointer; returns the metadata location it had, or undefined when there was no table. */
  async delete(table: TableRef): Promise<string | undefined> {
    const row = await this.db
      .deleteFrom('tables')
      .where('namespace', '=', levels(table.namespace))
      .where('name', '=', table.name)
      .returning('metadata_location')
      .executeTakeFirst();
    return row?.metadata_location;
  }

  async rename(source: TableRef, destination: TableRef): Promise<boolean> {
    try {
      const result = await this.db
        .updateTable('tables')
        .set({
          namespace: levels(destination.namespace),
          name: destination.name,
          updated_at: sql<Date>`now()`,
        })
        .where('namespace', '=', levels(source.namespace))
        .where('name', '=', source.name)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    } catch (error) {
      if (pgCode(error) === PG_UNIQUE_VIOLATION)
        throw new AlreadyExistsError(
          `Table already exists: ${[...destination.namespace, destination.name].join('.')}`,
        );
      if (pgCode(error) === PG_FOREIGN_KEY_VIOLATION) throw new NoSuchNamespaceError(destination.namespace);
      throw error;
    }
  }
}
