import { Injectable } from '@nestjs/common';
import { appendToOutbox, InjectDb, type OutboxEntry } from '@openfoundry/service-kit';
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { JsonObject, TenancyDatabase, TenantsTable } from '../database.ts';
import type { Tenant } from './tenant.ts';
import { ParentNotFoundError, SlugTakenError, TenantHasChildrenError } from './tenants.errors.ts';

type TenantRow = Selectable<TenantsTable>;
type Db = Kysely<TenancyDatabase> | Transaction<TenancyDatabase>;

// Guards recursive queries against a corrupted (cyclic) tree; far above the allowed depth.
const RECURSION_GUARD = 64;
// One key for every change to the tree's shape, see lockHierarchy.
const HIERARCHY_LOCK = 0x7e_4a_0001;

const PG_UNIQUE_VIOLATION = '23505';
const PG_FOREIGN_KEY_VIOLATION = '23503';

function toTenant(row: TenantRow): Tenant {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    parentId: row.parent_id,
    settings: row.settings,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

function pgCode(error: unknown): string | undefined {
  return (error as { code?: string }).code;
}

export interface NewTenant {
  slug: string;
  name: string;
  parentId: string | null;
  settings: JsonObject;
}

export interface TenantChanges {
  name?: string;
  parentId?: string | null;
  settings?: JsonObject;
}

/** All SQL about tenants. Methods run on the pool, or inside `transaction` on its connection. */
@Injectable()
export class TenantsRepository {
  constructor(@InjectDb() private readonly db: Db) {}

  /** Runs `work` in one transaction with a repository bound to it. */
  transaction<T>(work: (repository: TenantsRepository) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => work(new TenantsRepository(trx)));
  }

  /**
   * Serialises changes to the tree's shape (create under a parent, re-parent, delete) until commit.
   * Checking for a cycle reads the new parent's whole ancestor chain; locking each row of that chain
   * would deadlock when two moves lock the same rows in opposite order, so every move waits here
   * instead. Moves are rare; reads and settings changes do not take this lock.
   */
  async lockHierarchy(): Promise<void> {
    await sql`select pg_advisory_xact_lock(${HIERARCHY_LOCK})`.execute(this.db);
  }

  /** Reads a tenant and locks its row until commit. */
  async lockById(id: string): Promise<Tenant | undefined> {
    const row = await this.db
      .selectFrom('tenants')
      .selectAll()
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    return row && toTenant(row);
  }

  async findById(id: string): Promise<Tenant | undefined> {
    const row = await this.db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toTenant(row);
  }

  async findBySlug(slug: string): Promise<Tenant | undefined> {
    const row = await this.db.selectFrom('tenants').selectAll().where('slug', '=', slug).executeTakeFirst();
    return row && toTenant(row);
  }

  /** Keyset page ordered by slug (unique and immutable), starting after `afterSlug`. */
  async list(options: {
    limit: number;
    afterSlug?: string | undefined;
    parentId?: string | undefined;
  }): Promise<Tenant[]> {
    let query = this.db.selectFrom('tenants').selectAll().orderBy('slug').limit(options.limit);
    if (options.afterSlug !== undefined) query = query.where('slug', '>', options.afterSlug);
    if (options.parentId !== undefined) query = query.where('parent_id', '=', options.parentId);
    return (await query.execute()).map(toTenant);
  }

  /** The ancestors of a tenant, nearest (its parent) first, root last. */
  async ancestors(id: string): Promise<Tenant[]> {
    const { rows } = await sql<TenantRow & { depth: number }>`
      with recursive chain as (
        select t.*, 1 as depth from tenants t where t.id = (select parent_id from tenants where id = ${id})
        union all
        select p.*, c.depth + 1 from tenants p join chain c on p.id = c.parent_id where c.depth < ${RECURSION_GUARD}
      )
      select * from chain order by depth`.execute(this.db);
    return rows.map(toTenant);
  }

  /** Levels in the subtree rooted at `id`, counting the tenant itself (a leaf has height 1). */
  async subtreeHeight(id: string): Promise<number> {
    const { rows } = await sql<{ height: number }>`
      with recursive subtree as (
        select id, 1 as level from tenants where id = ${id}
        union all
        select t.id, s.level + 1 from tenants t join subtree s on t.parent_id = s.id where s.level < ${RECURSION_GUARD}
      )
      select coalesce(max(level), 0)::int as height from subtree`.execute(this.db);
    return rows[0]?.height ?? 0;
  }

  async hasChildren(id: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('tenants')
      .select('id')
      .where('parent_id', '=', id)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async insert(tenant: NewTenant): Promise<Tenant> {
    try {
      const row = await this.db
        .insertInto('tenants')
        .values(toInsertRow(tenant))
        .returningAll()
        .executeTakeFirstOrThrow();
      return toTenant(row);
    } catch (error) {
      // The unique constraint decides, so two concurrent creates of one slug cannot both win.
      if (pgCode(error) === PG_UNIQUE_VIOLATION) throw new SlugTakenError(tenant.slug);
      if (pgCode(error) === PG_FOREIGN_KEY_VIOLATION) throw new ParentNotFoundError(tenant.parentId ?? '');
      throw error;
    }
  }

  /** Inserts unless the slug exists; returns the existing or new tenant (for idempotent seeding). */
  async insertIfAbsent(tenant: NewTenant): Promise<{ tenant: Tenant; created: boolean }> {
    const inserted = await this.db
      .insertInto('tenants')
      .values(toInsertRow(tenant))
      .onConflict((oc) => oc.column('slug').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) return { tenant: toTenant(inserted), created: true };
    const existing = await this.findBySlug(tenant.slug);
    if (!existing) throw new Error(`tenant ${tenant.slug} vanished while seeding`);
    return { tenant: existing, created: false };
  }

  async update(id: string, changes: TenantChanges): Promise<Tenant | undefined> {
    try {
      const row = await this.db
        .updateTable('tenants')
        .set({
          ...(changes.name === undefined ? {} : { name: changes.name }),
          ...(changes.parentId === undefined ? {} : { parent_id: changes.parentId }),
          ...(changes.settings === undefined ? {} : { settings: JSON.stringify(changes.settings) }),
          updated_at: sql<Date>`now()`,
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row && toTenant(row);
    } catch (error) {
      if (pgCode(error) === PG_FOREIGN_KEY_VIOLATION) throw new ParentNotFoundError(changes.parentId ?? '');
      throw error;
    }
  }

  async delete(id: string): Promise<void> {
    try {
      await this.db.deleteFrom('tenants').where('id', '=', id).execute();
    } catch (error) {
      if (pgCode(error) === PG_FOREIGN_KEY_VIOLATION) throw new TenantHasChildrenError(id);
      throw error;
    }
  }

  /** Deletes the tenant and all its descendants in one statement; returns what it deleted. */
  async deleteSubtree(id: string): Promise<Tenant[]> {
    const { rows } = await sql<TenantRow>`
      with recursive subtree as (
        select id, 1 as level from tenants where id = ${id}
        union all
        select t.id, s.level + 1 from tenants t join subtree s on t.parent_id = s.id where s.level < ${RECURSION_GUARD}
      )
      delete from tenants where id in (select id from subtree) returning *`.execute(this.db);
    return rows.map(toTenant);
  }

  /** Queues bus messages in this transaction's outbox: sent if and only if it commits. */
  async publish(entries: OutboxEntry[]): Promise<void> {
    await appendToOutbox(this.db, entries);
  }
}

function toInsertRow(tenant: NewTenant) {
  return {
    slug: tenant.slug,
    name: tenant.name,
    parent_id: tenant.parentId,
    settings: JSON.stringify(tenant.settings),
  };
}
