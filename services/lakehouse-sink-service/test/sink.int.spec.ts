import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { topics } from '@openfoundry/bus-registry';
import type { PublishResult } from '@openfoundry/event-bus-data';
import { mainSnapshot } from '@openfoundry/lakehouse';
import {
  createTestDatabase,
  freePort,
  type ServiceProcess,
  startServiceProcess,
  type TestDatabase,
  waitForReady,
} from '@openfoundry/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SINK_GROUP } from '../src/sink/lakehouse-sink.service.ts';
import { summaryOffsets } from '../src/sink/offsets.ts';
import { assetEvent } from './factories.ts';
import {
  busEnv,
  connectorPublisher,
  duckdbReader,
  PLATFORM_TOKEN,
  type RunningCatalog,
  sinkBus,
  startCatalog,
  uniqueTenant,
} from './sink-env.ts';

// The built service as an operator runs it, against real Kafka, Postgres, S3 and a catalog process.
const entry = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
const TOPIC = topics.assetEvents.name;
const LONG = 240_000;

interface Sink {
  url: string;
  run: ServiceProcess;
}

describe('the lakehouse-sink-service process', () => {
  let lake: RunningCatalog;
  let database: TestDatabase;
  let reader: Awaited<ReturnType<typeof duckdbReader>>;
  let publisher: Awaited<ReturnType<typeof connectorPublisher>>;
  const running = new Set<Sink>();
  /** What the first test published and wrote: the replay test rewinds Kafka to before it. */
  const landed: { tenant: string; rows: number }[] = [];
  const firstOffsets = new Map<number, bigint>();

  const sinkEnv = async (overrides: Record<string, string> = {}) => ({
    DATABASE_URL: database.url,
    SINK_CATALOG_URL: lake.url,
    SINK_CATALOG_TOKEN: PLATFORM_TOKEN,
    SINK_COMMIT_INTERVAL_MS: '1000',
    ...(await busEnv('lakehouse-sink-service')),
    ...overrides,
  });
  const startSink = async (overrides: Record<string, string> = {}): Promise<Sink> => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const run = startServiceProcess(entry, await sinkEnv({ PORT: String(port), ...overrides }));
    const sink = { url, run };
    running.add(sink);
    await waitForReady(url, run, 60_000);
    return sink;
  };
  const stopSink = async (sink: Sink, signal: NodeJS.Signals = 'SIGTERM') => {
    sink.run.child.kill(signal);
    const code = await sink.run.exited;
    running.delete(sink);
    return code;
  };
  const table = (tenant: string) => ({ namespace: [tenant, 'telemetry'], name: 'asset_events' });
  /** Rows in the tenant's table per its current snapshot (0 while it does not exist). */
  const committedRows = async (tenant: string) => {
    try {
      const loaded = await lake.catalog.loadTable(table(tenant));
      return Number(mainSnapshot(loaded.metadata)?.summary['total-records'] ?? 0);
    } catch {
      return 0;
    }
  };
  /** The tenant's last maintenance run as the sink's status reports it (null: none yet). */
  const lastMaintenance = async (sink: Sink, tenant: string) =>
    (
      (await (await fetch(`${sink.url}/v1/status`)).json()) as {
        tenants: { tenant: string; lastMaintenance: { compactedFiles: number } | null }[];
      }
    ).tenants.find((t) => t.tenant === tenant)?.lastMaintenance ?? null;
  const waitFor = async (what: string, condition: () => Promise<boolean>, timeoutMs = LONG - 20_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  const duckTable = (tenant: string) => `lake."${tenant}.telemetry".asset_events`;
  /** Count, distinct ids and a per-asset checksum of what DuckDB reads from the table. */
  const readBack = async (tenant: string) => {
    const [totals] = await reader.sql(
      `SELECT count(*)::INT AS n, count(DISTINCT event_id)::INT AS ids FROM ${duckTable(tenant)}`,
    );
    const perAsset = await reader.sql(
      `SELECT asset_id, count(*)::INT AS n, sum(sequence)::BIGINT::VARCHAR AS checksum FROM ${duckTable(tenant)} GROUP BY asset_id ORDER BY asset_id`,
    );
    const ids = (await reader.sql(`SELECT event_id FROM ${duckTable(tenant)}`)).map(
      (r) => r.event_id as string,
    );
    return { totals, perAsset, ids: new Set(ids) };
  };
  const expectedPerAsset = (events: { assetId: string; sequence?: number | undefined }[]) => {
    const byAsset = new Map<string, { n: number; sum: number }>();
    for (const e of events) {
      const entry = byAsset.get(e.assetId) ?? { n: 0, sum: 0 };
      entry.n += 1;
      entry.sum += e.sequence ?? 0;
      byAsset.set(e.assetId, entry);
    }
    return [...byAsset]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([asset_id, { n, sum }]) => ({ asset_id, n, checksum: String(sum) }));
  };
  const eventsFor = (tenant: string, count: number, assets = 5, from = 0) =>
    Array.from({ length: count }, (_, i) => assetEvent(tenant, `asset-${(from + i) % assets}`, from + i));

  beforeAll(async () => {
    lake = await startCatalog();
    database = await createTestDatabase('of_lakehouse_sink');
    reader = await duckdbReader(lake.url);
    publisher = await connectorPublisher();
  }, 120_000);

  afterAll(async () => {
    for (const sink of running) await stopSink(sink, 'SIGKILL');
    await publisher?.close();
    reader?.close();
    await lake?.close();
    await database?.drop();
  }, 120_000);

  it(
    'lands two tenants’ events in a table each, exactly, with the next offsets in the snapshot summary',
    async () => {
      const sink = await startSink({ SINK_COMMIT_BYTES: String(64 * 1024 * 1024) });
      const [a, b] = [uniqueTenant('two-a'), uniqueTenant('two-b')];
      const eventsA = eventsFor(a, 40);
      const eventsB = eventsFor(b, 30, 3);
      const published = await publisher.publish([...eventsA, ...eventsB]);
      for (const p of published)
        if ((firstOffsets.get(p.partition) ?? p.offset + 1n) > p.offset)
          firstOffsets.set(p.partition, p.offset);
      landed.push({ tenant: a, rows: 40 }, { tenant: b, rows: 30 });
      await waitFor(
        'both tables',
        async () => (await committedRows(a)) === 40 && (await committedRows(b)) === 30,
      );

      for (const [tenant, events] of [
        [a, eventsA],
        [b, eventsB],
      ] as const) {
        const back = await readBack(tenant);
        expect(back.totals).toEqual({ n: events.length, ids: events.length });
        expect(back.ids).toEqual(new Set(events.map((e) => e.eventId)));
        expect(back.perAsset).toEqual(expectedPerAsset(events));
        // Per partition, the offset after the tenant's last record there.
        const expected = new Map<number, bigint>();
        published.forEach((p: PublishResult, i) => {
          if (i < eventsA.length !== (tenant === a)) return;
          const next = p.offset + 1n;
          if ((expected.get(p.partition) ?? -1n) < next) expected.set(p.partition, next);
        });
        const loaded = await lake.catalog.loadTable(table(tenant));
        expect(summaryOffsets(mainSnapshot(loaded.metadata)?.summary, TOPIC)).toEqual(expected);
      }

      const commits = (await (await fetch(`${sink.url}/v1/commits?tenant=${a}`)).json()) as {
        commits: { tenant: string; records: number; table: string; snapshotId: string }[];
      };
      expect(commits.commits.reduce((n, c) => n + c.records, 0)).toBe(40);
      expect(commits.commits[0]).toMatchObject({ tenant: a, table: `${a}.telemetry.asset_events` });
      const status = (await (await fetch(`${sink.url}/v1/status`)).json()) as {
        running: boolean;
        tenants: { tenant: string; bufferedRecords: number; lastCommit: unknown }[];
        lastCommits: { tenant: string }[];
        partitions: { partition: number; committed: string | null; end: string | null; lag: string | null }[];
      };
      expect(status.running).toBe(true);
      // Lag per partition read: the partition's end minus what Kafka was told is in Iceberg.
      expect(status.partitions.length).toBeGreaterThan(0);
      for (const p of status.partitions) {
        expect(p.end).toMatch(/^\d+$/);
        if (p.committed !== null)
          expect(BigInt(p.lag ?? '-1')).toBe(
            BigInt(p.end as string) > BigInt(p.committed)
              ? BigInt(p.end as string) - BigInt(p.committed)
              : 0n,
          );
      }
      expect(status.tenants.find((t) => t.tenant === b)).toMatchObject({ bufferedRecords: 0 });
      expect(status.lastCommits.map((c) => c.tenant)).toEqual(expect.arrayContaining([a, b]));
      expect((await fetch(`${sink.url}/v1/commits?limit=0`)).status).toBe(400);
      expect((await fetch(`${sink.url}/v1/commits?tenant=Not%20A%20Tenant`)).status).toBe(400);
      expect(await stopSink(sink)).toBe(0);
    },
    LONG,
  );

  it(
    'loses and duplicates nothing when killed mid-stream and restarted',
    async () => {
      const tenant = uniqueTenant('crash');
      const events = eventsFor(tenant, 120, 6);
      const first = await startSink();
      await publisher.publish(events.slice(0, 30));
      await waitFor('a first commit', async () => (await committedRows(tenant)) > 0);
      // More flows in while the sink buffers; then it dies without a chance to commit anything.
      await publisher.publish(events.slice(30, 60));
      await new Promise((resolve) => setTimeout(resolve, 300));
      await publisher.publish(events.slice(60, 80));
      expect(await stopSink(first, 'SIGKILL')).not.toBe(0);
      await publisher.publish(events.slice(80));
      // The restarted sink also compacts and expires the table while it appends.
      const second = await startSink({
        SINK_MAINTENANCE_INTERVAL_MS: '2000',
        SINK_SNAPSHOT_RETENTION_MS: '0',
      });
      await waitFor('every event', async () => (await committedRows(tenant)) >= events.length);
      await waitFor('a maintenance run', async () => (await lastMaintenance(second, tenant)) !== null);
      // Give a duplicate the time to show up, had the restart written one.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const back = await readBack(tenant);
      expect(back.totals).toEqual({ n: events.length, ids: events.length });
      expect(back.ids).toEqual(new Set(events.map((e) => e.eventId)));
      expect(back.perAsset).toEqual(expectedPerAsset(events));
      expect(await stopSink(second)).toBe(0);
    },
    LONG,
  );

  it(
    'maintains a table after SINK_MAINTENANCE_COMMITS commits, with no interval at all',
    async () => {
      const tenant = uniqueTenant('small-files');
      const events = eventsFor(tenant, 40, 4);
      const sink = await startSink({ SINK_MAINTENANCE_INTERVAL_MS: '0', SINK_MAINTENANCE_COMMITS: '3' });
      // One commit per wave (the commit interval is 1 s): each adds a small file.
      for (let wave = 0; wave < 3; wave++) {
        const rows = (wave + 1) * 10;
        await publisher.publish(events.slice(wave * 10, rows));
        await waitFor(`commit ${wave + 1}`, async () => (await committedRows(tenant)) >= rows);
      }
      await waitFor('a maintenance run', async () => (await lastMaintenance(sink, tenant)) !== null);
      expect((await lastMaintenance(sink, tenant))?.compactedFiles).toBeGreaterThanOrEqual(2);
      await publisher.publish(events.slice(30));
      await waitFor('every event', async () => (await committedRows(tenant)) >= events.length);
      const back = await readBack(tenant);
      expect(back.totals).toEqual({ n: events.length, ids: events.length });
      expect(back.perAsset).toEqual(expectedPerAsset(events));
      expect(await stopSink(sink)).toBe(0);
    },
    LONG,
  );

  it(
    'counts the commits a table had before a restart towards SINK_MAINTENANCE_COMMITS',
    async () => {
      const tenant = uniqueTenant('restarts');
      const events = eventsFor(tenant, 30, 3);
      // Two commits (two small files or more) by a sink that never maintains, then a restart.
      let sink = await startSink({ SINK_MAINTENANCE_INTERVAL_MS: '0', SINK_MAINTENANCE_COMMITS: '0' });
      for (let wave = 0; wave < 2; wave++) {
        await publisher.publish(events.slice(wave * 10, (wave + 1) * 10));
        await waitFor(`commit ${wave + 1}`, async () => (await committedRows(tenant)) >= (wave + 1) * 10);
      }
      expect(await lastMaintenance(sink, tenant)).toBeNull();
      expect(await stopSink(sink)).toBe(0);
      // One more commit after the restart is the table's third since it was compacted.
      sink = await startSink({ SINK_MAINTENANCE_INTERVAL_MS: '0', SINK_MAINTENANCE_COMMITS: '3' });
      await publisher.publish(events.slice(20));
      await waitFor('commit 3', async () => (await committedRows(tenant)) >= events.length);
      await waitFor('a maintenance run', async () => (await lastMaintenance(sink, tenant)) !== null);
      expect((await lastMaintenance(sink, tenant))?.compactedFiles).toBeGreaterThanOrEqual(3);
      const back = await readBack(tenant);
      expect(back.totals).toEqual({ n: events.length, ids: events.length });
      expect(await stopSink(sink)).toBe(0);
    },
    LONG,
  );

  it(
    'two instances at once in the group (partitions split between them) write each event once',
    async () => {
      const tenant = uniqueTenant('pair');
      const events = eventsFor(tenant, 90, 12);
      const sinks = [await startSink(), await startSink()];
      await publisher.publish(events.slice(0, 45));
      await new Promise((resolve) => setTimeout(resolve, 500));
      await publisher.publish(events.slice(45));
      await waitFor('every event', async () => (await committedRows(tenant)) >= events.length);
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const back = await readBack(tenant);
      expect(back.totals).toEqual({ n: events.length, ids: events.length });
      expect(back.perAsset).toEqual(expectedPerAsset(events));
      for (const sink of sinks) expect(await stopSink(sink)).toBe(0);
    },
    LONG,
  );

  it(
    'writes nothing twice when Kafka’s committed offsets are rewound behind what Iceberg holds',
    async () => {
      expect(firstOffsets.size).toBeGreaterThan(0);
      // Join the sink's group as the sink (none runs now) and move its committed offsets back.
      const bus = await sinkBus();
      let rewound = false;
      const consumer = await bus.consumeBatches(topics.assetEvents, {
        group: SINK_GROUP,
        commit: 'manual',
        handler: async () => {
          if (rewound) return;
          await consumer.commit(firstOffsets);
          rewound = true;
        },
      });
      const trigger = uniqueTenant('rewind');
      await publisher.publish([assetEvent(trigger, 'x', 1)]);
      await waitFor('the rewind', async () => rewound, 60_000);
      await consumer.close();
      await bus.close();

      const sink = await startSink();
      await waitFor(
        'the trigger event, read after the replay',
        async () => (await committedRows(trigger)) === 1,
      );
      await new Promise((resolve) => setTimeout(resolve, 2500));
      for (const { tenant, rows } of landed) {
        expect(await committedRows(tenant)).toBe(rows);
        expect((await readBack(tenant)).totals).toEqual({ n: rows, ids: rows });
      }
      expect(sink.run.output()).toContain('records already in Iceberg; nothing committed');
      expect(await stopSink(sink)).toBe(0);
    },
    LONG,
  );

  it(
    'commits when a tenant’s buffer reaches SINK_COMMIT_BYTES, and what is buffered on SIGTERM',
    async () => {
      const sink = await startSink({ SINK_COMMIT_INTERVAL_MS: '3600000', SINK_COMMIT_BYTES: '4096' });
      const [big, small] = [uniqueTenant('bytes'), uniqueTenant('term')];
      // Roughly 450 bytes each: 40 events pass 4 KiB several times over; 3 stay under it.
      await publisher.publish(eventsFor(big, 40));
      await publisher.publish(eventsFor(small, 3));
      await waitFor('a size-triggered commit', async () => (await committedRows(big)) > 0, 60_000);
      await waitFor('the small tenant buffered', async () => {
        const status = (await (await fetch(`${sink.url}/v1/status`)).json()) as {
          tenants: { tenant: string; bufferedRecords: number }[];
        };
        return status.tenants.some((t) => t.tenant === small && t.bufferedRecords === 3);
      });
      expect(await committedRows(small)).toBe(0);
      expect(await stopSink(sink)).toBe(0);
      expect(sink.run.output()).toContain('shutdown complete');
      expect(await committedRows(small)).toBe(3);
      // The rest of the big tenant (under 4 KiB at the end) went in on shutdown too.
      expect(await committedRows(big)).toBe(40);
    },
    LONG,
  );

  it.each([
    ['SINK_CATALOG_URL', { SINK_CATALOG_URL: 'not a url' }, /SINK_CATALOG_URL/],
    ['SINK_COMMIT_INTERVAL_MS', { SINK_COMMIT_INTERVAL_MS: 'soon' }, /SINK_COMMIT_INTERVAL_MS/],
    ['SINK_COMMIT_BYTES', { SINK_COMMIT_BYTES: '10' }, /SINK_COMMIT_BYTES must be >= 1024/],
    ['SINK_MAINTENANCE_COMMITS', { SINK_MAINTENANCE_COMMITS: '-1' }, /SINK_MAINTENANCE_COMMITS/],
    ['SINK_CATALOG_TOKEN', { SINK_CATALOG_TOKEN: 'wrong-token' }, /refused SINK_CATALOG_TOKEN/],
  ])(
    'refuses to start on a bad %s, naming it, without a stack trace',
    async (_name, bad, message) => {
      const run = startServiceProcess(entry, await sinkEnv({ PORT: String(await freePort()), ...bad }));
      expect(await run.exited).toBe(1);
      expect(run.output()).toMatch(message);
      expect(run.output()).not.toMatch(/\n\s+at /);
      expect(run.output()).not.toContain('wrong-token');
    },
    60_000,
  );

  it('waits at boot for a catalog that comes up after it, and gives up after SINK_CATALOG_WAIT_MS', async () => {
    // Nothing listens on this port yet: the sink retries, then a forwarder to the catalog appears.
    const port = await freePort();
    const late = `http://127.0.0.1:${port}`;
    const sinkPort = await freePort();
    const sink = startServiceProcess(
      entry,
      await sinkEnv({ PORT: String(sinkPort), SINK_CATALOG_URL: late, SINK_MAINTENANCE_INTERVAL_MS: '0' }),
    );
    const forwarder = createServer((request, response) => {
      void fetch(`${lake.url}${request.url}`, {
        headers: { authorization: request.headers.authorization ?? '' },
      })
        .then(async (answer) => {
          response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? '' });
          response.end(Buffer.from(await answer.arrayBuffer()));
        })
        .catch(() => response.writeHead(502).end());
    });
    try {
      await waitFor('the sink to wait for the catalog', async () =>
        sink.output().includes('waiting for the Iceberg catalog'),
      );
      expect(sink.child.exitCode).toBeNull();
      await new Promise<void>((resolve) => forwarder.listen(port, '127.0.0.1', resolve));
      // Ready only once boot got past the catalog check and joined the consumer group.
      await waitForReady(`http://127.0.0.1:${sinkPort}`, sink, 60_000);
      expect(sink.child.exitCode).toBeNull();
    } finally {
      sink.child.kill('SIGTERM');
      await sink.exited;
      await new Promise((resolve) => forwarder.close(resolve));
    }
    const gaveUp = startServiceProcess(
      entry,
      await sinkEnv({ PORT: String(await freePort()), SINK_CATALOG_URL: late, SINK_CATALOG_WAIT_MS: '1500' }),
    );
    expect(await gaveUp.exited).toBe(1);
    expect(gaveUp.output()).toMatch(/Iceberg catalog unreachable at http:\/\/127\.0\.0\.1:\d+/);
    expect(gaveUp.output()).not.toMatch(/\n\s+at /);
  }, 120_000);

  it('refuses to start without a catalog URL', async () => {
    const env = await sinkEnv();
    delete (env as Record<string, string | undefined>).SINK_CATALOG_URL;
    const run = startServiceProcess(entry, env);
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/SINK_CATALOG_URL is required/);
  });
});
