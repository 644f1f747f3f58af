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

/** Tables and views share one name space per namespace, so both live in one table told apart by kind. */
export type PointerKind = 'table' | 'view';

/**
 * The pointers of one kind: one row per table (or view), its current metadata location the only
 * thing a commit changes.
 */
abstract class PointersRepository {
  constructor(
    protected readonly db: Db,
    readonly kind: PointerKind,
  ) {}

  protected abstract bind(db: Db): this;

  transaction<T>(work: (repository: this) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => work(this.bind(trx)));
  }

  private toRow(table: TablePointer & { tableUuid: string }) {
    return {
      namespace: levels(table.namespace),
      name: table.name,
      kind: this.kind,
      metadata_location: table.metadataLocation,
      table_uuid: table.tableUuid,
    };
  }

  private alreadyExists(table: TableRef): AlreadyExistsError {
    return new AlreadyExistsError(
      `A table or view named ${[...table.namespace, table.name].join('.')} already exists`,
    );
  }

  async find(table: TableRef): Promise<TablePointer | undefined> {
    const row = await this.db
      .selectFrom('tables')
      .select(['namespace', 'name', 'metadata_location'])
      .where('namespace', '=', levels(table.namespace))
      .where('name', '=', table.name)
      .where('kind', '=', this.kind)
      .executeTakeFirst();
    return row && { namespace: row.namespace, name: row.name, metadataLocation: row.metadata_location };
  }

  /** Whether a table or a view has this name. */
  async nameTaken(ref: TableRef): Promise<boolean> {
    const row = await this.db
      .selectFrom('tables')
      .select('name')
      .where('namespace', '=', levels(ref.namespace))
      .where('name', '=', ref.name)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Whether any table or view still keeps its metadata at or under `location`. */
  async anyAt(location: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('tables')
      .select('name')
      .where('metadata_location', 'like', `${location.replace(/[\\%_]/g, '\\$&')}/%`)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async list(
    namespace: readonly string[],
    options: { after?: string | undefined; limit?: number | undefined },
  ): Promise<string[]> {
    let query = this.db
      .selectFrom('tables')
      .select('name')
      .where('namespace', '=', levels(namespace))
      .where('kind', '=', this.kind)
      .orderBy('name');
    if (options.after !== undefined) query = query.where('name', '>', options.after);
    if (options.limit !== undefined) query = query.limit(options.limit);
    return (await query.execute()).map((row) => row.name);
  }

  async insert(table: TablePointer & { tableUuid: string }): Promise<void> {
    try {
      await this.db.insertInto('tables').values(this.toRow(table)).execute();
    } catch (error) {
      if (pgCode(error) === PG_UNIQUE_VIOLATION) throw this.alreadyExists(table);
      if (pgCode(error) === PG_FOREIGN_KEY_VIOLATION) throw new NoSuchNamespaceError(table.namespace);
      throw error;
    }
  }

  /** Points `table` at a metadata file whatever it pointed at before (register with overwrite). */
  async upsert(table: TablePointer & { tableUuid: string }): Promise<void> {
    try {
      const result = await this.db
        .insertInto('tables')
        .values(this.toRow(table))
        .onConflict((oc) =>
          oc
            .columns(['namespace', 'name'])
            .doUpdateSet({
              metadata_location: table.metadataLocation,
              table_uuid: table.tableUuid,
              updated_at: sql<Date>`now()`,
            })
            // Overwriting never turns a view into a table or back.
            .where('tables.kind', '=', this.kind),
        )
        .executeTakeFirst();
      if (result.numInsertedOrUpdatedRows === 0n) throw this.alreadyExists(table);
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
      .where('kind', '=', this.kind)
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
      .where('kind', '=', this.kind)
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
        .where('kind', '=', this.kind)
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

@Injectable()
export class TablesRepository extends PointersRepository {
  constructor(@InjectDb() db: Db) {
    super(db, 'table');
  }

  protected bind(db: Db): this {
    return new TablesRepository(db) as this;
  }
}

@Injectable()
export class ViewsRepository extends PointersRepository {
  constructor(@InjectDb() db: Db) {
    super(db, 'view');
  }

  protected bind(db: Db): this {
    return new ViewsRepository(db) as this;
  }
}
