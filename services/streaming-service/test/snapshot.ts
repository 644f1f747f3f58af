import { type Kysely, sql } from 'kysely';

/** Every read-model row of a tenant, in key order, as Postgres prints it (row for row comparable). */
export async function snapshot(db: Kysely<unknown>, tenant: string) {
  const state = await sql<{ row: string }>`select s::text as row from asset_state s
    where tenant = ${tenant} order by asset_id, attribute`.execute(db);
  const aggregates = await sql<{ row: string }>`select a::text as row from asset_aggregates a
    where tenant = ${tenant} order by asset_id, attribute, window_size, window_start`.execute(db);
  return { state: state.rows.map((r) => r.row), aggregates: aggregates.rows.map((r) => r.row) };
}

/** Polls until `check` returns true; fails with `what` when the time runs out. */
export async function until(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}
