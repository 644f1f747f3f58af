import { type Kysely, sql } from 'kysely';

// The coordinator reloads the devices when a change marker moves. It was a sequence, and `nextval`
// is visible to everyone at once, before the transaction that saved the device commits: a reconcile
// in between took the new marker with the old devices and never loaded the new one. A counter row
// updated in the saving transaction moves only when the device is visible too.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table device_change_counter (
    only_row boolean primary key default true check (only_row),
    changes bigint not null default 0
  )`.execute(db);
  await sql`insert into device_change_counter (changes)
    select case when is_called then last_value else 0 end from device_changes`.execute(db);
  await sql`drop sequence device_changes`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`create sequence device_changes`.execute(db);
  await sql`drop table device_change_counter`.execute(db);
}
