import { type Kysely, sql } from 'kysely';

// A coordinator-answered command that replicas keep refusing to record (its payload is what they
// refuse, not the replica) stops being offered after a few refusals: the relay notes each refusal
// and, at the last, why it gave up, so the command no longer holds a place in the relay's queue.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('commands')
    .addColumn('record_refusals', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('record_error', 'text')
    .execute();
  await db.schema.dropIndex('commands_unrecorded_idx').execute();
  await sql`create index commands_unrecorded_idx on commands (completed_at, command_id)
    where recorded_by_coordinator and recorded_at is null and record_error is null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('commands_unrecorded_idx').execute();
  await sql`create index commands_unrecorded_idx on commands (completed_at, command_id)
    where recorded_by_coordinator and recorded_at is null`.execute(db);
  await db.schema.alterTable('commands').dropColumn('record_error').dropColumn('record_refusals').execute();
}
