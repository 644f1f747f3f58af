import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { type AssetEvent, assetKey, topics } from '@openfoundry/bus-registry';
import { CredentialStore, credentialEnv } from '@openfoundry/bus-registry/provision';
import { type ReadRecord, readTopic } from '@openfoundry/bus-registry/testing';
import { localDataBus } from '@openfoundry/event-bus-data/testing';
import { readPlatformEnv } from '@openfoundry/infra-local';
import { startTestMosquitto, type TestMosquitto } from '@openfoundry/infra-local/testing';
import { deleteCatalogTableFiles } from '@openfoundry/lakehouse/testing';
import {
  createTestDatabase,
  freePort,
  type ServiceProcess,
  startServiceProcess,
  type TestDatabase,
  waitForReady,
} from '@openfoundry/service-kit/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Checksum, deviceSpecs, httpDeviceId, type SimSummary, Simulator, type Value } from '../src/index.ts';
import { truthEntries, until } from './helpers.ts';

/**
 * Faults during load (issue 6): the simulator pushes MQTT and HTTP while the connector, the sink and
 * the streaming service are each SIGKILLed mid-stream and restarted, one after the other. All run as
 * real processes from their builds (`npx turbo run build --filter=@openfoundry/connector-service...`)
 * on free ports with fresh databases, a private Mosquitto with the platform's configuration and a
 * throwaway Iceberg catalog; Kafka, Postgres and S3 are the platform's.
 *
 * What is checked, per asset of the run:
 * - Iceberg holds every event the simulator had acknowledged, with its value (count and checksum
 *   equal the truth log's), and each event id once: no loss, no duplicates.
 * - A reading the connector had written to Kafka but not yet acknowledged when it died (an MQTT
 *   message before its PUBACK, an HTTP batch before its 202) is delivered again by the device and
 *   written again, with the same event id (derived from the device's sequence and source time). The
 *   asset stream's repeat rule (ADR 0016) marks such a record; it must carry the same reading as the
 *   one it repeats. Whether a run has any depends on where the kill lands; the rule itself is proven
 *   deterministically in `libs/event-bus-data` (batch consumer tests).
 * - Iceberg holds every asset-stream record of the tenant that is not a repeat exactly once (by Kafka
 *   partition and offset), and no repeat: the sink survives its own crash and the connector's.
 * - Streaming state equals a replay of the tenant's asset-stream records without the repeats: per
 *   attribute and minute window count, min, max and sum, and per attribute the current event —
 *   computed here from the records themselves rather than by a second streaming instance, which
 *   would have to replay the whole shared stream from offset 0.
 *
 * Consumer groups are fixed by the bus registry and shared with anyone on this machine. Streaming
 * keeps its offsets in its own database and resumes from the group's committed offsets only when that
 * database holds offsets, replaying from 0 otherwise; its fresh database is therefore seeded with the
 * stream's end offsets (found by writing a fence event to every partition) so it skips the shared
 * backlog. The sink resumes from the group's committed offsets, which are never ahead of its tables;
 * whatever backlog lies behind them lands in this test's throwaway catalog and is deleted with it.
 * Another streaming or sink instance running in the same group at the same time would take
 * partitions from these (their own process tests share the limitation).
 */

const env = readPlatformEnv();
const run = randomBytes(4).toString('hex');
const TENANT = `fsim-faults-${run}`;
const TOKEN = `faults-token-${run}`;
const CATALOG_TOKEN = `faults-catalog-${run}`;
const REPLICA = `fsim-faults-${run}`;
const TOPIC = topics.assetEvents.name;

const entry = (service: string) =>
  fileURLToPath(new URL(`../../../services/${service}/dist/src/main.js`, import.meta.url));
const SERVICES = [
  'iceberg-catalog-service',
  'connector-management-service',
  'connector-service',
  'streaming-service',
  'lakehouse-sink-service',
] as const;
type ServiceName = (typeof SERVICES)[number];

/** Runs `work` on a connection to a test database (its owner's schema, set up by the service). */
async function sql<T>(database: TestDatabase, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function busEnv(service: string): Record<string, string> {
  return {
    OPENFOUNDRY_KAFKA_BROKERS: env.OPENFOUNDRY_KAFKA_BROKERS,
    OPENFOUNDRY_NATS_URL: env.OPENFOUNDRY_NATS_URL,
    ...credentialEnv(new CredentialStore().get(service)),
  };
}

/** A service process on a fixed port, restartable on the same port and database. */
class Service {
  process: ServiceProcess | undefined;
  readonly url: string;
  readonly name: ServiceName;
  readonly port: number;
  readonly env: Record<string, string>;
  constructor(name: ServiceName, port: number, env: Record<string, string>) {
    this.name = name;
    this.port = port;
    this.env = env;
    this.url = `http://127.0.0.1:${port}`;
  }
  async start(extra: Record<string, string> = {}): Promise<void> {
    this.process = startServiceProcess(entry(this.name), {
      PORT: String(this.port),
      LOG_LEVEL: 'warn',
      ...this.env,
      ...extra,
    });
    await waitForReady(this.url, this.process, 90_000);
  }
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    const process = this.process;
    if (!process || process.child.exitCode !== null) return process?.child.exitCode ?? null;
    process.child.kill(signal);
    return process.exited;
  }
}

/**
 * Writes one event to every partition of the asset stream for a tenant nobody reads and answers each
 * partition's offset after it: a position every consumer has to pass.
 */
async function fence(): Promise<Map<number, bigint>> {
  const bus = await localDataBus('connector-service');
  const publisher = bus.publisher(topics.assetEvents, { job: 'connector-service.test-fence' });
  const tenant = `fsim-fence-${run}`;
  const next = new Map<number, bigint>();
  try {
    for (let i = 0; next.size < 6 && i < 600; i += 12) {
      const now = new Date().toISOString();
      const events: AssetEvent[] = Array.from({ length: 12 }, (_, k) => ({
        eventId: `0190a0a0-0000-7000-8000-${randomBytes(6).toString('hex')}`,
        tenant,
        assetId: `fence-${i + k}`,
        kind: 'event',
        attribute: 'fence',
        value: { type: 'null', value: null },
        quality: 'good',
        sourceTime: now,
        ingestTime: now,
        source: { protocol: 'http', replica: REPLICA, device: 'fence' },
      }));
      const results = await publisher.publishMany(
        events.map((value) => ({ key: assetKey(value.tenant, value.assetId), value })),
      );
      for (const r of results)
        if ((next.get(r.partition) ?? -1n) < r.offset + 1n) next.set(r.partition, r.offset + 1n);
    }
  } finally {
    await bus.close();
  }
  return next;
}

/** The asset stream since `since`, read until every partition reached `ends`; the tenant's records. */
async function tenantRecords(since: Date, ends: Map<number, bigint>): Promise<ReadRecord[]> {
  const reached = (records: ReadRecord[]) => {
    const top = new Map<number, bigint>();
    for (const r of records) if ((top.get(r.partition) ?? -1n) < r.offset) top.set(r.partition, r.offset);
    return [...ends].every(([partition, end]) => (top.get(partition) ?? -1n) >= end - 1n);
  };
  const records = await readTopic(TOPIC, reached, 120_000, { since });
  expect(reached(records), 'the asset stream was read up to the final fence').toBe(true);
  return records.filter((r) => (r.value as AssetEvent).tenant === TENANT);
}

const byPosition = (a: ReadRecord, b: ReadRecord) =>
  a.partition - b.partition || (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0);

/** What a device said in an event (not where or when the connector wrote it). */
function readingOf(event: AssetEvent) {
  const { tenant, assetId, kind, attribute, value, unit, quality, sourceTime, sequence } = event;
  return { tenant, assetId, kind, attribute, value, unit, quality, sourceTime, sequence };
}

function eventValue(event: AssetEvent): Value {
  return event.value.value as Value;
}

/** An Iceberg row's value as the simulator sent it (DuckDB gives bigints as text). */
function rowValue(row: Record<string, unknown>): Value {
  switch (row.value_type) {
    case 'double':
      return Number(row.value_double);
    case 'long':
      return Number(row.value_long);
    case 'boolean':
      return row.value_bool as boolean;
    default:
      return row.value_string as string;
  }
}

describe('faults during load: connector, sink and streaming SIGKILLed mid-stream and restarted', () => {
  const databases: TestDatabase[] = [];
  const services = new Map<ServiceName, Service>();
  let broker: TestMosquitto;
  let dir: string;
  let truthFile: string;
  let summary: SimSummary;
  let startedAt: Date;
  let lake: Awaited<ReturnType<typeof duckdb>>;

  async function database(label: string): Promise<TestDatabase> {
    const db = await createTestDatabase(label);
    databases.push(db);
    return db;
  }

  async function service(name: ServiceName, variables: Record<string, string>): Promise<Service> {
    const s = new Service(name, await freePort(), variables);
    services.set(name, s);
    return s;
  }

  async function duckdb(url: string) {
    const instance = await DuckDBInstance.create(':memory:', {
      autoinstall_known_extensions: 'false',
      extension_directory: env.OPENFOUNDRY_DUCKDB_EXTENSION_DIR,
    });
    const connection = await instance.connect();
    for (const extension of ['httpfs', 'avro', 'iceberg']) await connection.run(`LOAD ${extension}`);
    await connection.run(`SET TimeZone = 'UTC'`);
    await connection.run(`CREATE SECRET catalog_token (TYPE iceberg, TOKEN '${CATALOG_TOKEN}')`);
    await connection.run(
      `ATTACH 'warehouse' AS lake (TYPE iceberg, ENDPOINT '${url}', SECRET catalog_token)`,
    );
    return {
      sql: async (query: string) =>
        (await connection.runAndReadAll(query)).getRowObjectsJson() as Record<string, unknown>[],
      close: () => {
        connection.closeSync();
        instance.closeSync();
      },
    };
  }

  beforeAll(async () => {
    for (const name of SERVICES)
      expect(existsSync(entry(name)), `${entry(name)} is missing: build the services first`).toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'factory-sim-faults-'));
    truthFile = join(dir, 'truth.ndjson');
    broker = await startTestMosquitto();

    const catalogDb = await database('of_faults_catalog');
    const catalog = await service('iceberg-catalog-service', {
      DATABASE_URL: catalogDb.url,
      CATALOG_TOKENS: `${CATALOG_TOKEN}=*`,
      OPENFOUNDRY_S3_ENDPOINT: env.OPENFOUNDRY_S3_ENDPOINT,
      OPENFOUNDRY_S3_REGION: env.OPENFOUNDRY_S3_REGION,
      OPENFOUNDRY_S3_ACCESS_KEY: env.OPENFOUNDRY_S3_ACCESS_KEY,
      OPENFOUNDRY_S3_SECRET_KEY: env.OPENFOUNDRY_S3_SECRET_KEY,
      OPENFOUNDRY_S3_WAREHOUSE_BUCKET: env.OPENFOUNDRY_S3_WAREHOUSE_BUCKET,
    });
    const managementDb = await database('of_faults_connmgmt');
    const management = await service('connector-management-service', {
      DATABASE_URL: managementDb.url,
      CONNECTOR_TOKENS: `${TOKEN}=${TENANT}`,
      CONNECTOR_REPLICA_FILTER: `^${REPLICA}$`,
      ...busEnv('connector-management-service'),
    });
    const connector = await service('connector-service', {
      CONNECTOR_REPLICA_ID: REPLICA,
      CONNECTOR_PROTOCOLS: 'mqtt,http',
      CONNECTOR_INGEST_TOKENS: `${TOKEN}=${TENANT}`,
      CONNECTOR_OUTBOUND: 'false',
      ...busEnv('connector-service'),
    });
    const streamingDb = await database('of_faults_streaming');
    const streaming = await service('streaming-service', {
      DATABASE_URL: streamingDb.url,
      STREAMING_TOKENS: `${TOKEN}=${TENANT}`,
      STREAMING_ADMIN_TOKEN: `${TOKEN}-admin`,
      // Small transactions: the kill lands between many of them.
      STREAMING_BATCH_MAX_RECORDS: '200',
      ...busEnv('streaming-service'),
    });
    const sink = await service('lakehouse-sink-service', {
      DATABASE_URL: (await database('of_faults_sink')).url,
      SINK_CATALOG_TOKEN: CATALOG_TOKEN,
      SINK_COMMIT_INTERVAL_MS: '2000',
      ...busEnv('lakehouse-sink-service'),
    });

    startedAt = new Date(Date.now() - 5_000);
    await catalog.start();
    sink.env.SINK_CATALOG_URL = catalog.url;
    // Streaming's schema first (its consumer off), then offsets at the stream's end, then the consumer.
    await streaming.start({ STREAMING_CONSUME: 'false' });
    expect(await streaming.kill('SIGTERM')).toBe(0);
    await sql(streamingDb, async (client) => {
      for (const [partition, offset] of await fence())
        await client.query(
          'insert into consumer_offsets (topic, kafka_partition, next_offset) values ($1, $2, $3)',
          [TOPIC, partition, String(offset)],
        );
    });
    // A platform coordinator running on this machine (no replica filter) also assigns to this test's
    // replica; assignment versions from the current epoch milliseconds outrank its sequence, as the
    // connector-service test coordinator's do.
    await management.start();
    await sql(managementDb, (client) =>
      client.query('select setval($1, $2)', ['assignment_versions', String(Date.now())]),
    );
    await Promise.all([connector.start(), streaming.start(), sink.start()]);
    lake = await duckdb(catalog.url);
  }, 240_000);

  afterAll(async () => {
    lake?.close();
    const catalog = services.get('iceberg-catalog-service');
    for (const s of services.values()) if (s !== catalog) await s.kill('SIGKILL');
    if (catalog?.process) {
      await deleteCatalogTableFiles({
        url: catalog.url,
        token: CATALOG_TOKEN,
        s3: {
          endpoint: env.OPENFOUNDRY_S3_ENDPOINT,
          region: env.OPENFOUNDRY_S3_REGION,
          accessKeyId: env.OPENFOUNDRY_S3_ACCESS_KEY,
          secretAccessKey: env.OPENFOUNDRY_S3_SECRET_KEY,
        },
      }).catch(() => undefined);
      await catalog.kill('SIGTERM');
    }
    await broker?.stop();
    for (const db of databases) await db.drop().catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('loses nothing, lands every event once (repeats skipped), and streaming equals a replay without repeats', async () => {
    const get = (name: ServiceName) => services.get(name) as Service;
    const management = get('connector-management-service');
    const simLog: string[] = [];
    const sim = new Simulator({
      tenant: TENANT,
      assets: 6,
      attributes: 3,
      assetPrefix: `f${run}-`,
      rate: 150,
      mqtt: { url: broker.url },
      http: { url: get('connector-service').url, token: TOKEN, device: httpDeviceId(`f${run}`) },
      truthFile,
      // Long enough for the connector's restart: HTTP batches in flight are retried until it is back.
      drainTimeoutMs: 60_000,
      log: (message) => {
        if (!message.endsWith('; retrying') && simLog.length < 20) simLog.push(message);
      },
    });
    for (const spec of deviceSpecs(sim.layout, { devicePrefix: `f${run}`, mqtt: { url: broker.url } })) {
      const response = await fetch(`${management.url}/v1/tenants/${TENANT}/devices/${spec.id}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(spec),
      });
      expect(response.status, await response.text()).toBe(201);
      await until(`device ${spec.id} online`, async () => {
        const device = (await (
          await fetch(`${management.url}/v1/tenants/${TENANT}/devices/${spec.id}`, {
            headers: { authorization: `Bearer ${TOKEN}` },
          })
        ).json()) as { status?: string };
        return device.status === 'online' ? true : undefined;
      });
    }

    await sim.start();
    await sleep(5_000);
    // The connector dies with MQTT messages and HTTP batches in flight; the broker queues, the
    // simulator retries, and the restarted replica (same id) is assigned its devices again.
    expect(await get('connector-service').kill()).toBe(null);
    await sleep(3_000);
    await get('connector-service').start();

    // The sink dies holding buffered records it has not committed, after committing earlier ones.
    const sink = get('lakehouse-sink-service');
    await until('the sink buffering after a commit', async () => {
      const status = (await (await fetch(`${sink.url}/v1/status`)).json()) as {
        tenants?: { tenant: string; bufferedRecords: number; lastCommit?: unknown }[];
      };
      const mine = status.tenants?.find((t) => t.tenant === TENANT);
      return mine?.lastCommit && mine.bufferedRecords > 0 ? true : undefined;
    });
    expect(await sink.kill()).toBe(null);
    await sleep(2_000);
    await sink.start();

    await sleep(4_000);
    const streaming = get('streaming-service');
    expect(await streaming.kill()).toBe(null);
    await sleep(2_000);
    await streaming.start();
    await sleep(5_000);

    await sim.stopProducing();
    summary = await sim.stop();
    for (const protocol of ['mqtt', 'http'] as const)
      expect({
        simulator: simLog.join('\n'),
        protocol,
        unacked: summary.protocols[protocol]?.unacked,
        rejected: summary.protocols[protocol]?.rejected,
      }).toEqual({
        simulator: simLog.join('\n'),
        protocol,
        unacked: 0,
        rejected: 0,
      });

    const truth = (await truthEntries(truthFile)).filter((e) => e.status === 'acked');
    const truthByAsset = new Map<string, Checksum>();
    for (const e of truth) {
      const sum = truthByAsset.get(e.asset) ?? new Checksum();
      sum.add(e);
      truthByAsset.set(e.asset, sum);
    }
    const assets = [...truthByAsset.keys()].sort();
    expect(assets).toHaveLength(6);
    const expected = assets.map((asset) => ({
      asset,
      count: truthByAsset.get(asset)?.count,
      checksum: truthByAsset.get(asset)?.value,
    }));

    // Iceberg: every acknowledged event, once.
    const table = `lake."${TENANT}.telemetry".asset_events`;
    await until(
      'the sink to land every acknowledged event (a sink running elsewhere on this machine shares the group and takes partitions)',
      async () => {
        const [row] = await lake.sql(`SELECT count(DISTINCT event_id)::INT AS n FROM ${table}`);
        return Number(row?.n) >= truth.length ? true : undefined;
      },
      150_000,
    );
    // Past the end of everything the connector wrote: the stream is read up to there, and the sink
    // and streaming have to account for each of the tenant's records before it.
    const end = await fence();
    const records = await tenantRecords(startedAt, end);
    // The repeat rule over the stream (ADR 0016): a record whose event id is among the window's
    // offsets before it in its partition. Other tenants' records never carry this run's ids.
    const rule = topics.assetEvents.repeats;
    expect(rule?.idField).toBe('eventId');
    const window = BigInt(rule?.window ?? 0);
    const seenAt = new Map<string, { offset: bigint; value: AssetEvent }[]>();
    const unique: ReadRecord[] = [];
    let repeated = 0;
    for (const r of [...records].sort(byPosition)) {
      const event = r.value as AssetEvent;
      const key = `${r.partition}|${event.eventId}`;
      const earlier = seenAt.get(key) ?? [];
      const original = earlier.find((e) => e.offset >= r.offset - window);
      if (original) {
        repeated += 1;
        // A repeat is a redelivery: the same reading as the record it repeats.
        expect(readingOf(event), `the repeat at ${r.partition}:${r.offset}`).toEqual(
          readingOf(original.value),
        );
      } else unique.push(r);
      seenAt.set(key, [...earlier, { offset: r.offset, value: event }]);
    }
    await until(
      'the sink to land every record of the tenant',
      async () => {
        const [row] = await lake.sql(`SELECT count(*)::INT AS n FROM ${table}`);
        return Number(row?.n) >= unique.length ? true : undefined;
      },
      150_000,
    );
    const rows = await lake.sql(
      `SELECT event_id, asset_id, attribute, sequence::BIGINT AS sequence, value_type, value_double, value_long,
              value_bool, value_string, kafka_partition, kafka_offset::BIGINT AS kafka_offset FROM ${table}`,
    );

    const byId = new Map<string, Record<string, unknown>[]>();
    for (const row of rows)
      byId.set(row.event_id as string, [...(byId.get(row.event_id as string) ?? []), row]);
    const lakeSums = new Map<string, Checksum>();
    for (const [, copies] of byId) {
      const row = copies[0] as Record<string, unknown>;
      const sum = lakeSums.get(row.asset_id as string) ?? new Checksum();
      sum.add({
        asset: row.asset_id as string,
        attribute: row.attribute as string,
        seq: Number(row.sequence),
        value: rowValue(row),
      });
      lakeSums.set(row.asset_id as string, sum);
    }
    // No duplicates: one row per event id.
    expect(rows.length, 'rows in Iceberg, one per event id').toBe(byId.size);
    // No loss: each acknowledged event, with its value.
    expect(
      assets.map((asset) => ({
        asset,
        count: lakeSums.get(asset)?.count,
        checksum: lakeSums.get(asset)?.value,
      })),
    ).toEqual(expected);
    // The sink's exactly-once: every record of the tenant that is not a repeat is one row, no repeat is.
    const positions = (list: { partition: number; offset: bigint | string | number }[]) =>
      list.map((p) => `${p.partition}:${p.offset}`).sort();
    expect(
      positions(rows.map((r) => ({ partition: Number(r.kafka_partition), offset: String(r.kafka_offset) }))),
      `Iceberg rows by stream position (${repeated} repeats on the stream)`,
    ).toEqual(positions(unique.map((r) => ({ partition: r.partition, offset: r.offset }))));

    // Streaming: state and windows equal a replay of the tenant's stream records without repeats.
    const events = unique.map((r) => ({
      ...(r.value as AssetEvent),
      position: `${r.partition}:${r.offset}`,
    }));
    const windows = new Map<string, { count: number; min?: number; max?: number; sum?: number }>();
    const last = new Map<string, { eventId: string; position: string }>();
    for (const e of events) {
      const minute = new Date(Math.floor(Date.parse(e.sourceTime) / 60_000) * 60_000).toISOString();
      const key = `${e.assetId}|${e.attribute}|${minute}`;
      const w = windows.get(key) ?? { count: 0 };
      w.count += 1;
      const v = eventValue(e);
      if (typeof v === 'number') {
        w.min = Math.min(w.min ?? v, v);
        w.max = Math.max(w.max ?? v, v);
        w.sum = (w.sum ?? 0) + v;
      }
      windows.set(key, w);
      last.set(`${e.assetId}|${e.attribute}`, { eventId: e.eventId, position: e.position });
    }
    const api = async <T>(path: string): Promise<T> =>
      (await (
        await fetch(`${streaming.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } })
      ).json()) as T;
    const counted = await until(
      'streaming to count every record (a streaming-service running elsewhere on this machine shares the group and takes partitions)',
      async () => {
        const got = new Map<
          string,
          { count: number; min: number | null; max: number | null; sum: number | null }
        >();
        for (const asset of assets) {
          const page = await api<{
            items: {
              attribute: string;
              windowStart: string;
              count: number;
              min: number | null;
              max: number | null;
              sum: number | null;
            }[];
          }>(`/v1/tenants/${TENANT}/assets/${asset}/aggregates?window=1m&limit=10000`);
          for (const w of page.items)
            got.set(`${asset}|${w.attribute}|${new Date(w.windowStart).toISOString()}`, w);
        }
        const total = [...got.values()].reduce((n, w) => n + w.count, 0);
        if (total < events.length) {
          const status = await (
            await fetch(`${streaming.url}/v1/admin/status`, {
              headers: { authorization: `Bearer ${TOKEN}-admin` },
            })
          ).text();
          throw new Error(`${total} of ${events.length} counted; status ${status}`);
        }
        return got;
      },
      150_000,
    );
    expect([...counted.keys()].sort()).toEqual([...windows.keys()].sort());
    for (const [key, w] of windows) {
      const got = counted.get(key);
      expect({ key, count: got?.count, min: got?.min ?? undefined, max: got?.max ?? undefined }).toEqual({
        key,
        count: w.count,
        min: w.min,
        max: w.max,
      });
      if (w.sum !== undefined) expect(got?.sum).toBeCloseTo(w.sum, 6);
    }
    const perAsset = assets.map((asset) => ({
      asset,
      count: [...counted].filter(([k]) => k.startsWith(`${asset}|`)).reduce((n, [, w]) => n + w.count, 0),
    }));
    expect(perAsset).toEqual(
      assets.map((asset) => ({ asset, count: events.filter((e) => e.assetId === asset).length })),
    );
    for (const asset of assets) {
      const state = await api<{ attributes: { attribute: string; eventId: string; position: string }[] }>(
        `/v1/tenants/${TENANT}/assets/${asset}/state`,
      );
      expect(
        state.attributes.map((a) => ({
          key: `${asset}|${a.attribute}`,
          eventId: a.eventId,
          position: a.position,
        })),
      ).toEqual(
        [...last]
          .filter(([key]) => key.startsWith(`${asset}|`))
          .map(([key, v]) => ({ key, ...v }))
          .sort((a, b) => a.key.localeCompare(b.key)),
      );
    }
  }, 420_000);
});
