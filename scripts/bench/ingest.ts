// `npm run bench:ingest`: the ingestion plane on the running platform, side by side with the data
// bus's own producer measured in the same run.
//
// 1. the limit: the bus library publishing small asset events straight to the asset stream, with only
//    the infrastructure running (before the services start); and what those events take on the
//    asset stream's disk, next to a sample of the same events written uncompressed (ADR 0029);
// 2. the whole path: HTTP push into connector-service → asset stream → streaming state applied and
//    live forwarders through, sustained events/s (the request bodies are written before the clock
//    starts, the platform's CPU and the load generator's own are counted);
// 3. device → NATS subscriber latency (p50/p99) at a steady 10k events/s;
// 4. device → queryable in Iceberg (through the Flight SQL edge) latency, against the sink's commit
//    interval: one marker a second during step 3, the table polled every 250 ms from the first
//    marker on, for the last minute of event time.
//
// BENCH_EVENTS (default 1000000), BENCH_RATE (10000), BENCH_SECONDS (10), BENCH_PUSHERS (4).
//
// The whole path is a sustained rate, so its run must outlast the platform's own intervals: the
// sink commits every 10 s and maintains its tables every 60 commits, and streaming batches wait up
// to a second. A run of 200,000 events lasts about 4 s, and whether one commit or one maintenance
// run fell inside it moved the figure by up to a quarter; 1,000,000 events last 15–20 s here.
import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { connect as connectNats } from '@nats-io/transport-node';
import { type AssetEvent, assetKey, topics } from '@openfoundry/bus-registry';
import { localDataBus } from '@openfoundry/event-bus-data/testing';
import { readPlatformEnv } from '@openfoundry/infra-local';
import { FlightSqlClient } from '@openfoundry/query-engine';
import { Admin } from '@platformatic/kafka';
import { startPlatform } from '../lib/platform.ts';
import { busCli, infraCli, node, step } from '../lib/proc.ts';
import { cpuBetween, cpuSnapshot, printCpu } from './cpu.ts';
import type { LiveSubscriberInput, LiveSubscriberResult } from './live-subscriber.ts';
import { printTable } from './table.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const RATE = Number(process.env.BENCH_RATE ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const PUSHERS = Number(process.env.BENCH_PUSHERS ?? 4);
const BATCH = 500;
/** The whole path's events go to this many assets, in turn. */
const PATH_ASSETS = 200;
/** How often the Iceberg table is polled for markers while the latency load runs. */
const ICEBERG_POLL_MS = 250;
const TENANT = 'acme';
const TOKEN = 'dev-acme-token';
const run = `bench${Date.now().toString(36)}`;
const DEVICE = `${run}-http`;

const log = (message: string) => console.error(`[bench:ingest] ${message}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function api<T>(url: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(url, {
    ...init,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...init.headers },
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 300_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const value = await probe().catch((error: unknown) => {
      last = error;
      return undefined;
    });
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`,
      );
    await sleep(100);
  }
}

/** One small sample, as a device would push it. */
const item = (asset: string, seq: number, ts = new Date()) => ({
  asset,
  attribute: 'temperature',
  value: 20 + (seq % 100) / 10,
  ts: ts.toISOString(),
  seq,
});

/** How many of the baseline's events also go out uncompressed, to weigh them on disk. */
const PLAIN_SAMPLE = 20_000;

/** The asset stream's bytes on the broker's disk, all partitions (DescribeLogDirs, as the admin). */
async function assetStreamBytes(): Promise<number> {
  const env = readPlatformEnv();
  const admin = new Admin({
    clientId: 'bench.log-dirs',
    bootstrapBrokers: env.OPENFOUNDRY_KAFKA_BROKERS.split(','),
    sasl: {
      mechanism: 'SCRAM-SHA-512',
      username: env.OPENFOUNDRY_KAFKA_ADMIN_USER,
      password: env.OPENFOUNDRY_KAFKA_ADMIN_PASSWORD,
    },
  });
  try {
    const partitions = Array.from({ length: topics.assetEvents.partitions }, (_, i) => i);
    const dirs = await admin.describeLogDirs({ topics: [{ name: topics.assetEvents.name, partitions }] });
    let bytes = 0n;
    for (const broker of dirs)
      for (const dir of broker.results)
        for (const topic of dir.topics) for (const p of topic.partitions) bytes += p.partitionSize;
    return Number(bytes);
  } finally {
    await admin.close();
  }
}

/** Disk bytes per event: the baseline's (as the platform writes them) and a plain sample's. */
interface DiskPerEvent {
  ours: number;
  plain: number;
}

/** The limit: the data bus library alone writing asset events (as connector-service does). */
async function producerBaseline(): Promise<{ rate: number; disk: DiskPerEvent }> {
  const plainBus = await localDataBus('connector-service', undefined, { compression: 'none' });
  let plain: number;
  try {
    const publisher = plainBus.publisher(topics.assetEvents, { job: 'bench.producer-baseline' });
    const before = await assetStreamBytes();
    for (let i = 0; i < PLAIN_SAMPLE; i += BATCH) {
      const records = [];
      for (let j = i; j < Math.min(PLAIN_SAMPLE, i + BATCH); j++) {
        const value = baselineEvent(j, 'plain');
        records.push({ key: assetKey(TENANT, value.assetId), value });
      }
      await publisher.publishMany(records);
    }
    plain = ((await assetStreamBytes()) - before) / PLAIN_SAMPLE;
  } finally {
    await plainBus.close();
  }
  const bus = await localDataBus('connector-service');
  try {
    const publisher = bus.publisher(topics.assetEvents, { job: 'bench.producer-baseline' });
    const before = await assetStreamBytes();
    const started = performance.now();
    const inFlight: Promise<unknown>[] = [];
    for (let i = 0; i < EVENTS; i += BATCH) {
      const records = [];
      for (let j = i; j < Math.min(EVENTS, i + BATCH); j++) {
        const value = baselineEvent(j, 'base');
        records.push({ key: assetKey(TENANT, value.assetId), value });
      }
      inFlight.push(publisher.publishMany(records));
      if (inFlight.length >= PUSHERS * 4) await inFlight.shift();
    }
    await Promise.all(inFlight);
    const rate = EVENTS / ((performance.now() - started) / 1000);
    return { rate, disk: { ours: ((await assetStreamBytes()) - before) / EVENTS, plain } };
  } finally {
    await bus.close();
  }
}

/** An asset event as connector-service writes one, on one of 50 assets of this run. */
function baselineEvent(i: number, prefix: string): AssetEvent {
  const now = new Date().toISOString();
  return {
    eventId: randomUUID(),
    tenant: TENANT,
    assetId: `${run}-${prefix}-${i % 50}`,
    kind: 'sample',
    attribute: 'temperature',
    value: { type: 'double', value: 20 + (i % 100) / 10 },
    quality: 'good',
    sourceTime: now,
    ingestTime: now,
    sequence: i,
    source: { protocol: 'http', replica: 'bench', device: DEVICE },
  };
}

/**
 * The request bodies for `total` events, `BATCH` a request, written before the clock starts: what
 * the load generator spends building its own JSON is not the platform's work, and on this one
 * machine it would compete with the platform for the same two cores. (The readings are then up to
 * a few seconds old when sent, well inside the connector's accepted age.)
 */
function bodies(total: number, assetsOf: (i: number) => string): string[] {
  const out: string[] = [];
  const ts = new Date();
  for (let first = 0; first < total; first += BATCH) {
    const batch = [];
    for (let i = first; i < Math.min(total, first + BATCH); i++) batch.push(item(assetsOf(i), i, ts));
    out.push(JSON.stringify(batch));
  }
  return out;
}

/** What the lakehouse sink committed and maintained between two wall-clock times (its own log). */
async function sinkActivity(sink: string, window: { from: number; to: number }): Promise<string> {
  const inside = (at: string) => {
    const t = Date.parse(at);
    return t >= window.from && t <= window.to;
  };
  const { commits } = await api<{ commits: { tenant: string; records: number; committedAt: string }[] }>(
    `${sink}/v1/commits?tenant=${TENANT}&limit=500`,
  );
  const during = commits.filter((c) => inside(c.committedAt));
  const status = await api<{ tenants: { tenant: string; lastMaintenance: { at: string } | null }[] }>(
    `${sink}/v1/status`,
  );
  const maintained = status.tenants.find((t) => t.tenant === TENANT)?.lastMaintenance?.at;
  const records = during.reduce((sum, c) => sum + c.records, 0);
  return `during the whole path's run the sink committed ${during.length} time(s) (${records} records) and ${
    maintained !== undefined && inside(maintained)
      ? 'finished a table maintenance'
      : 'finished no table maintenance'
  }`;
}

/** Pushes the bodies over HTTP from `PUSHERS` concurrent devices' worth of requests. */
async function push(connector: string, requests: readonly string[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const body = requests[next++];
      if (body === undefined) return;
      for (;;) {
        const response = await fetch(`${connector}/v1/ingest/${TENANT}/${DEVICE}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          body,
        });
        await response.arrayBuffer();
        if (response.status === 202) break;
        if (response.status === 503) {
          await sleep(Number(response.headers.get('retry-after') ?? 1) * 100);
          continue;
        }
        throw new Error(`HTTP push: ${response.status}`);
      }
    }
  };
  await Promise.all(Array.from({ length: PUSHERS }, worker));
}

async function main() {
  await step('infra up', node, [infraCli, 'up']);
  await step('bus provision', node, [busCli, 'provision']);
  // The limit is measured first, with only the infrastructure running: nothing else competes for
  // the two cores while the library writes.
  log(`the limit: ${EVENTS} asset events published by the data bus library alone`);
  const { rate: baseline, disk } = await producerBaseline();
  const platform = await startPlatform();
  // Ctrl-C stops the services this bench started before it exits.
  const interrupted = async () => {
    await platform.stop();
    process.exit(130);
  };
  process.once('SIGINT', () => void interrupted());
  process.once('SIGTERM', () => void interrupted());
  const url = (name: string) => platform.units.find((u) => u.name === name)?.url as string;
  let flight: FlightSqlClient | undefined;
  let nats: Awaited<ReturnType<typeof connectNats>> | undefined;
  try {
    const management = url('connector-management-service');
    const connector = url('connector-service');
    const _streaming = url('streaming-service');
    await api(`${management}/v1/tenants/${TENANT}/devices/${DEVICE}`, {
      method: 'PUT',
      body: JSON.stringify({ protocol: 'http', points: [] }),
    });
    await until('the HTTP device on the connector', async () => {
      const response = await fetch(`${connector}/v1/ingest/${TENANT}/${DEVICE}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify([item(`${run}-warmup`, 0)]),
      });
      await response.arrayBuffer();
      return response.status === 202 ? true : undefined;
    });

    const env = readPlatformEnv();
    nats = await connectNats({
      servers: env.OPENFOUNDRY_NATS_URL,
      user: env.OPENFOUNDRY_NATS_ADMIN_USER,
      pass: env.OPENFOUNDRY_NATS_ADMIN_PASSWORD,
    });
    flight = await FlightSqlClient.connect({
      address: '127.0.0.1:50133',
      user: 'openfoundry',
      password: 'openfoundry',
    });
    const sql = flight;
    /** Events of assets with this prefix counted in streaming's 1-hour windows (its read model). */
    const appliedCount = async (prefix: string) => {
      const counted = await sql.query(
        `SELECT coalesce(sum(event_count), 0)::BIGINT AS n FROM postgres.public.asset_aggregates
         WHERE tenant = '${TENANT}' AND window_size = '1h' AND asset_id LIKE '${prefix}%'`,
      );
      return Number((counted.get(0)?.toJSON() as { n?: bigint } | undefined)?.n ?? 0);
    };

    // The consumers read the baseline's events too: the whole path starts once they are through.
    let caughtUp = 0;
    await until('the consumers to catch up with the baseline', async () => {
      caughtUp = await appliedCount(`${run}-base-`);
      return caughtUp >= EVENTS ? true : undefined;
    }).catch((error: Error) => {
      throw new Error(`${error.message}; streaming state counts ${caughtUp} of ${EVENTS}`);
    });
    // This run's live subjects, counted by asset prefix (`live.<tenant>.<asset>.<attribute>`; NATS
    // wildcards stand for whole tokens, so the subscription follows the tenant).
    const forwarded = { warm: 0, path: 0 };
    const warmSubjects = `live.${TENANT}.${run}-warm-`;
    const pathSubjects = `live.${TENANT}.${run}-path-`;
    nats.subscribe(`live.${TENANT}.>`, {
      callback: (_error, message) => {
        if (message.subject.startsWith(pathSubjects)) forwarded.path++;
        else if (message.subject.startsWith(warmSubjects)) forwarded.warm++;
      },
    });
    await nats.flush();

    // A forwarder that has just been given a partition reads back its repeat window (ADR 0016)
    // when that partition's first record arrives. That is paid once per assignment, not per event:
    // one warm-up reading per asset of the whole path, every partition included, goes through
    // before the clock starts.
    log(`warming up: one reading for each of the whole path's ${PATH_ASSETS} assets`);
    await push(
      connector,
      bodies(PATH_ASSETS, (i) => `${run}-warm-${i}`),
    );
    await until('the warm-up readings in streaming state and on live subjects', async () => {
      if (forwarded.warm < PATH_ASSETS) return undefined;
      return (await appliedCount(`${run}-warm-`)) >= PATH_ASSETS ? true : undefined;
    });

    // The sink runs in the background class (ADR 0018) and is the last to get there: its work on the
    // baseline would otherwise be counted, and compete, in the whole path's run.
    const sink = url('lakehouse-sink-service');
    await until('the lakehouse sink to have read the baseline', async () => {
      const status = await api<{ partitions: { read: string; end: string | null }[] }>(`${sink}/v1/status`);
      const behind = status.partitions.filter((p) => p.end === null || BigInt(p.read) < BigInt(p.end));
      return status.partitions.length > 0 && behind.length === 0 ? true : undefined;
    });

    log(`the whole path: ${EVENTS} events pushed over HTTP by ${PUSHERS} pushers`);
    const requests = bodies(EVENTS, (i) => `${run}-path-${i % PATH_ASSETS}`);
    const cpuBefore = cpuSnapshot();
    const started = performance.now();
    await push(connector, requests);
    const accepted = performance.now();
    // Applied: streaming-service's 1-hour windows (its read model, read through the edge's
    // postgres catalog) count every event; forwarded: the live subjects carried every event.
    await until('streaming state and the live forwarders to have every event', async () => {
      if (forwarded.path < EVENTS) return undefined;
      return (await appliedCount(`${run}-path-`)) >= EVENTS ? true : undefined;
    });
    const applied = performance.now();
    const pathEnded = Date.now();
    const pathWindow = { from: pathEnded - (applied - started), to: pathEnded };
    const pathCpu = cpuBetween(cpuBefore, cpuSnapshot());
    const pathRate = EVENTS / ((applied - started) / 1000);
    const acceptRate = EVENTS / ((accepted - started) / 1000);

    log(`device → NATS subscriber latency at ${RATE} events/s for ${SECONDS} s`);
    // The subscriber runs in a worker thread: the load generator's event loop must not delay it.
    const subscriber = new Worker(new URL('./live-subscriber.ts', import.meta.url), {
      workerData: {
        servers: env.OPENFOUNDRY_NATS_URL,
        user: env.OPENFOUNDRY_NATS_ADMIN_USER,
        pass: env.OPENFOUNDRY_NATS_ADMIN_PASSWORD,
        subject: `live.${TENANT}.>`,
        prefix: `${run}-lat-`,
      } satisfies LiveSubscriberInput,
    });
    /** The worker's next message (its 'ready', then what it saw). */
    const fromSubscriber = <T>() =>
      new Promise<T>((resolve, reject) => {
        subscriber.once('message', resolve);
        subscriber.once('error', reject);
      });
    await fromSubscriber<'ready'>();
    // Markers for the Iceberg latency: one event a second on its own asset. They are looked for
    // from the first one on, while the load runs, as a BI user polling the table would: a marker
    // is visible from the first poll that finds it. Like a dashboard, the poll asks for a recent
    // time window, so the table's files from earlier runs are pruned by their time bounds instead
    // of being scanned four times a second beside the load being measured.
    const markers: { seq: number; sent: number }[] = [];
    const visible = new Map<number, number>();
    const table = `lakehouse."${TENANT}.telemetry".asset_events`;
    const since = new Date(Date.now() - 60_000).toISOString();
    let sendsDone = false;
    const pollMarkers = async () => {
      const deadline = Date.now() + 180_000;
      while (!(sendsDone && visible.size >= markers.length) && Date.now() < deadline) {
        const rows = await sql
          .query(
            `SELECT sequence FROM ${table} WHERE asset_id = '${run}-marker' AND source_time >= TIMESTAMPTZ '${since}'`,
          )
          .catch(() => undefined);
        const now = Date.now();
        for (const row of rows?.toArray() ?? []) {
          const s = Number((row.toJSON() as { sequence: bigint }).sequence);
          if (!visible.has(s)) visible.set(s, now);
        }
        await sleep(ICEBERG_POLL_MS);
      }
    };
    const polling = pollMarkers();
    const pace = RATE / 20; // events per 50 ms tick
    const latencyStart = Date.now();
    let seq = 0;
    const sends: Promise<unknown>[] = [];
    for (let tick = 0; tick < SECONDS * 20; tick++) {
      const due = latencyStart + tick * 50;
      if (Date.now() < due) await sleep(due - Date.now());
      const batch = [];
      for (let i = 0; i < pace; i++, seq++) batch.push(item(`${run}-lat-${seq % 100}`, seq));
      if (tick % 20 === 0) {
        markers.push({ seq: tick / 20, sent: Date.now() });
        batch.push(item(`${run}-marker`, tick / 20));
      }
      sends.push(
        fetch(`${connector}/v1/ingest/${TENANT}/${DEVICE}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify(batch),
        }).then((r) => r.arrayBuffer()),
      );
    }
    await Promise.all(sends);
    // Every marker is out: the poller stops once it has seen them all.
    sendsDone = true;
    const answer = fromSubscriber<LiveSubscriberResult>();
    subscriber.postMessage({ expect: seq, timeoutMs: 60_000 });
    const seen = await answer;
    await subscriber.terminate();
    if (seen.sent.length < seq) log(`live subscriber saw ${seen.sent.length} of ${seq}`);
    const latencies: number[] = [];
    /** Per second of the run, its worst latency and where that went: to connector-service, then on. */
    const worstBySecond: { total: number; toConnector: number }[] = [];
    for (let i = 0; i < seen.sent.length; i++) {
      const sent = seen.sent[i] as number;
      const latency = (seen.received[i] as number) - sent;
      latencies.push(latency);
      // The worst latency per second of the run, to tell one stall from a slow path, split at the
      // time connector-service took the reading in (its ingest time).
      const second = Math.floor((sent - latencyStart) / 1000);
      if (latency > (worstBySecond[second]?.total ?? -1))
        worstBySecond[second] = { total: latency, toConnector: (seen.ingested[i] as number) - sent };
    }
    log(
      `worst NATS latency per second of the run, ms (to connector-service + from it on): ${Array.from(
        worstBySecond,
        (w) => (w ? `${w.total} (${w.toConnector}+${w.total - w.toConnector})` : '-'),
      ).join(' ')}`,
    );
    latencies.sort((a, b) => a - b);

    // The sink works in bursts (a commit every 10 s, table maintenance every 60 commits): what fell
    // inside the whole path's run explains much of one run's figure against another's.
    await sinkActivity(sink, pathWindow)
      .then(log)
      .catch((error: Error) => log(`could not read the sink's commits: ${error.message}`));
    log('device → queryable in Iceberg (polling through the Flight SQL edge since the first marker)');
    await polling;
    // Each marker's story, relative to the first one sent: when it went out and when it showed.
    log(
      `markers (sent → visible, s after the first): ${markers
        .map((m) => {
          const at = (t: number) => ((t - (markers[0]?.sent ?? t)) / 1000).toFixed(1);
          const seen = visible.get(m.seq);
          return `${at(m.sent)}→${seen === undefined ? 'never' : at(seen)}`;
        })
        .join(' ')}`,
    );
    const icebergLatencies = markers
      .filter((m) => visible.has(m.seq))
      .map((m) => (visible.get(m.seq) as number) - m.sent)
      .sort((a, b) => a - b);
    const commitInterval = Number(
      platform.units.find((u) => u.name === 'lakehouse-sink-service')?.env.SINK_COMMIT_INTERVAL_MS ?? 60_000,
    );

    printTable(
      `Sustained events/s, small samples (${EVENTS} events, ${PUSHERS} HTTP pushers, batches of ${BATCH})`,
      'data bus producer alone',
      [
        {
          what: 'accepted by connector (HTTP 202)',
          ours: acceptRate,
          baseline,
          unit: 'ev/s',
          higherIsBetter: true,
        },
        {
          what: 'whole path: in streaming state and on live subjects',
          ours: pathRate,
          baseline,
          unit: 'ev/s',
          higherIsBetter: true,
        },
      ],
      'ingestion path',
    );
    printTable(
      `The asset stream on the broker's disk (the limit's ${EVENTS} events, as the data bus writes them)`,
      `${PLAIN_SAMPLE} of the same uncompressed`,
      [{ what: 'bytes per event', ours: disk.ours, baseline: disk.plain, unit: 'B', higherIsBetter: false }],
    );
    printCpu(
      `Where the whole path's CPU went (${EVENTS} events; HTTP push in, every consumer group out)`,
      pathCpu,
      EVENTS,
    );
    printTable(
      `Device → NATS subscriber latency at ${RATE} events/s (${latencies.length} of ${seq} events seen)`,
      'target',
      [
        { what: 'p50', ours: percentile(latencies, 50), baseline: 100, unit: 'ms', higherIsBetter: false },
        { what: 'p99', ours: percentile(latencies, 99), baseline: 100, unit: 'ms', higherIsBetter: false },
      ],
    );
    printTable(
      `Device → queryable in Iceberg (${icebergLatencies.length} of ${markers.length} markers; sink commits every ${commitInterval / 1000} s)`,
      'target: commit interval + 5 s',
      [
        {
          what: 'p50',
          ours: percentile(icebergLatencies, 50),
          baseline: commitInterval + 5_000,
          unit: 'ms',
          higherIsBetter: false,
        },
        {
          what: 'p99',
          ours: percentile(icebergLatencies, 99),
          baseline: commitInterval + 5_000,
          unit: 'ms',
          higherIsBetter: false,
        },
      ],
    );
    console.log(
      '\nThis 2-core machine runs Kafka, Postgres, NATS, MinIO, every service and the load generator at once.',
    );
  } finally {
    // The bench's HTTP device goes again, so runs do not pile devices up in the platform's database.
    await fetch(`${url('connector-management-service')}/v1/tenants/${TENANT}/devices/${DEVICE}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${TOKEN}` },
    })
      .then((response) => {
        if (!response.ok) log(`could not remove the bench device: ${response.status}`);
      })
      .catch((error: Error) => log(`could not remove the bench device: ${error.message}`));
    await nats?.close().catch(() => undefined);
    flight?.close();
    await platform.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`[bench:ingest] ${(error as Error).stack ?? error}`);
  process.exit(1);
});
