import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('devices')
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('protocol', 'text', (c) => c.notNull())
    // The whole spec as applied (defaults filled in), without tenant, id and revision.
    .addColumn('spec', 'jsonb', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('devices_pkey', ['tenant', 'id'])
    .addCheckConstraint('devices_revision_positive', sql`revision > 0`)
    .execute();
  // Command routing looks a device up by the assets its points map.
  await sql`create index devices_spec_points_idx on devices using gin ((spec -> 'points') jsonb_path_ops)`.execute(
    db,
  );

  // Bumped in the transaction of every device change, so a coordinator notices changes made by
  // another instance with one cheap read.
  await sql`create sequence device_changes`.execute(db);
  // Assignment versions only grow, across restarts and leaders (replicas ignore older ones).
  await sql`create sequence assignment_versions`.execute(db);

  await db.schema
    .createTable('device_status')
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('device', 'text', (c) => c.notNull())
    .addColumn('replica', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('detail', 'text')
    .addColumn('counters', 'jsonb', (c) => c.notNull())
    .addColumn('last_seen', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('device_status_pkey', ['tenant', 'device', 'replica'])
    .addForeignKeyConstraint(
      'device_status_device_fkey',
      ['tenant', 'device'],
      'devices',
      ['tenant', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();

  await db.schema
    .createTable('assignments')
    .addColumn('replica', 'text', (c) => c.primaryKey())
    .addColumn('version', 'bigint', (c) => c.notNull())
    // `tenant/device@revision` of every device sent, sorted.
    .addColumn('devices', sql`text[]`, (c) => c.notNull())
    .addColumn('acknowledged', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('commands')
    .addColumn('command_id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('asset_id', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('arguments', 'jsonb')
    .addColumn('deadline', 'timestamptz', (c) => c.notNull())
    .addColumn('requester', 'text', (c) => c.notNull())
    .addColumn('device', 'text')
    .addColumn('replica', 'text')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('failure_code', 'text')
    .addColumn('failure_message', 'text')
    .addColumn('result', 'jsonb')
    .addColumn('requested_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('completed_at', 'timestamptz')
    .addCheckConstraint('commands_status', sql`status in ('pending', 'acknowledged', 'failed')`)
    .execute();
  await db.schema
    .createIndex('commands_tenant_idx')
    .on('commands')
    .columns(['tenant', 'requested_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('commands').execute();
  await db.schema.dropTable('assignments').execute();
  await db.schema.dropTable('device_status').execute();
  await sql`drop sequence assignment_versions`.execute(db);
  await sql`drop sequence device_changes`.execute(db);
  await db.schema.dropTable('devices').execute();
}
