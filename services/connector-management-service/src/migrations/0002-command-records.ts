import { type Kysely, sql } from 'kysely';

// Commands the coordinator answers itself (no device maps the asset, no live replica runs the
// device, routing failed) reach the asset stream through a replica later: these columns say which
// commands wait for that and when a replica confirmed it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('commands')
    .addColumn('recorded_by_coordinator', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('recorded_at', 'timestamptz')
    .execute();
  // Commands answered before this migration that certainly never reached a replica: record them too.
  await sql`update commands set recorded_by_coordinator = true
    where failure_code = 'unknown-asset' or (failure_code = 'offline' and replica is null)`.execute(db);
  // The relay's queue: oldest first, and small however long the table grows.
  await sql`create index commands_unrecorded_idx on commands (completed_at, command_id)
    where recorded_by_coordinator and recorded_at is null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('commands_unrecorded_idx').execute();
  await db.schema
    .alterTable('commands')
    .dropColumn('recorded_at')
    .dropColumn('recorded_by_coordinator')
    .execute();
}
