import { type Kysely, sql } from 'kysely';
import { assetEvent, double, long } from './factories.ts';

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

/** N events of a tenant over 4 assets, 3 attributes, mixed types and some late ones, over ~3 minutes. */
export function eventsFor(tenant: string, count: number) {
  const base = Date.parse('2026-03-01T10:00:00Z');
  return Array.from({ length: count }, (_, i) => {
    // Every 10th event is late: its source time lies two minutes before its neighbours'.
    const time = new Date(base + i * 50 - (i % 10 === 9 ? 120_000 : 0)).toISOString();
    const attribute = ['temperature', 'pressure', 'mode'][i % 3] as string;
    const value =
      attribute === 'mode'
        ? ({ type: 'string', value: i % 2 ? 'auto' : 'manual' } as const)
        : i % 4 === 0
          ? long(i)
          : double(i / 7);
    return assetEvent({
      tenant,
      assetId: `asset-${i % 4}`,
      attribute,
      value,
      sourceTime: time,
      ingestTime: time,
    });
  });
}

/** Events of the tenant counted in the read models (every event lands in exactly one 1h window). */
export async function appliedEvents(db: Kysely<unknown>, tenant: string): Promise<number> {
  const { rows } = await sql<{ n: string | null }>`select sum(event_count) as n from asset_aggregates
    where tenant = ${tenant} and window_size = '1h'`.execute(db);
  return Number(rows[0]?.n ?? 0);
}
