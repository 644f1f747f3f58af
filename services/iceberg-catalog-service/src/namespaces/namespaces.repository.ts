import { Injectable } from '@nestjs/common';
import { InjectDb } from '@openfoundry/service-kit';
import { type Kysely, sql, type Transaction } from 'kysely';
import { AlreadyExistsError, NamespaceNotEmptyError } from '../catalog.errors.ts';
import type { CatalogDatabase } from '../database.ts';

type Db = Kysely<CatalogDatabase> | Transaction<CatalogDatabase>;

export interface Namespace {
  levels: string[];
  properties: Record<string, string>;
}

const PG_UNIQUE_VIOLATION = '23505';
const PG_FOREIGN_KEY_VIOLATION = '23503';

export function pgCode(error: unknown): string | undefined {
  return (error as { code?: string }).code;
}

/** All SQL about namespaces. Methods run on the pool, or inside `transaction` on its connection. */
@Injectable()
export class NamespacesRepository {
  constructor(@InjectDb() private readonly db: Db) {}

  transaction<T>(work: (repository: NamespacesRepository) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => work(new NamespacesRepository(trx)));
  }

  async find(levels: readonly string[]): Promise<Namespace | undefined> {
    return this.db
      .selectFrom('namespaces')
      .select(['levels', 'properties'])
      .where('levels', '=', sql<string[]>`${[...levels]}::text[]`)
      .executeTakeFirst();
  }

  /** Reads a namespace and locks it against drops and property changes until commit. */
  async lock(levels: readonly string[], mode: 'update' | 'key share'): Promise<Namespace | undefined> {
    const query = this.db
      .selectFrom('namespaces')
      .select(['levels', 'properties'])
      .where('levels', '=', sql<string[]>`${[...levels]}::text[]`);
    return (mode === 'update' ? query.forUpdate() : query.forKeyShare()).executeTakeFirst();
  }

  /** The direct children of `parent` (or the given roots, every root when undefined, when parent is empty), in name order. */
  async children(
    parent: readonly string[],
    roots: readonly string[] | undefined,
    page: { after?: string | undefined; limit?: number | undefined } = {},
  ): Promise<string[][]> {
    let query = this.db.selectFrom('namespaces').select('levels').orderBy('levels');
    if (page.after !== undefined)
      query = query.where(sql<boolean>`levels[cardinality(levels)] > ${page.after}`);
    if (page.limit !== undefined) query = query.limit(page.limit);
    if (parent.length === 0) {
      query = query.where(sql<boolean>`cardinality(levels) = 1`);
      if (roots) query = query.where(sql<boolean>`levels[1] = any(${[...roots]}::text[])`);
    } else {
      query = query
        .where(sql<boolean>`cardinality(levels) = ${parent.length + 1}::int`)
        .where(sql<boolean>`levels[1:${parent.length}::int] = ${[...parent]}::text[]`);
    }
    return (await query.execute()).map((row) => row.levels);
  }

  async hasChildren(levels: readonly string[]): Promise<boolean> {
    const row = await this.db
      .selectFrom('namespaces')
      .select(sql<number>`1`.as('one'))
      .where(sql<boolean>`cardinality(levels) > ${levels.length}::int`)
      .where(sql<boolean>`levels[1:${levels.length}::int] = ${[...levels]}::text[]`)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async insert(namespace: Namespace): Promise<void> {
    try {
      await this.db
        .insertInto('namespaces')
        .values({
          levels: sql<string[]>`${namespace.levels}::text[]`,
          properties: JSON.stringify(namespace.properties),
        })
        .execute();
    } catch (error) {
      if (pgCode(error) === PG_UNIQUE_VIOLATION)
        throw new AlreadyExistsError(`Namespace already exists: ${namespace.levels.join('.')}`);
      throw error;
    }
  }

  async setProperties(levels: readonly string[], properties: Record<string, string>): Promise<void> {
    await this.db
      .updateTable('namespaces')
      .set({ properties: JSON.stringify(properties) })
      .where('levels', '=', sql<string[]>`${[...levels]}::text[]`)
      .execute();
  }

  /** Deletes the namespace; tables still in it make the database refuse (NamespaceNotEmpty). */
  async delete(levels: readonly string[]): Promise<boolean> {
    try {
      const result = await this.db
        .deleteFrom('namespaces')
        .where('levels', '=', sql<string[]>`${[...levels]}::text[]`)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    } catch (error) {
      if (pgCode(error) === PG_FOREIGN_KEY_VIOLATION) throw new NamespaceNotEmptyError(levels);
      throw error;
    }
  }
}
