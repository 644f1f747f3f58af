/**
 * `npm run bench:catalog`: the Iceberg REST catalog's commits and loads against what they are made
 * of, measured in the same run: the raw Postgres compare-and-swap on the catalog's own pointer
 * table, and raw S3 PUTs and GETs of the same metadata files.
 *
 * It starts the built iceberg-catalog-service on a free port with a throwaway database and a
 * tenant of its own, drives it over HTTP as a catalog client does (append a snapshot, move main,
 * assert main did not move; on 409 reload and retry) with 1, 4 and 8 writers on one table and on
 * one table each, loads a table of BENCH_SNAPSHOTS snapshots, and measures the files a lakehouse
 * sink leaves in an hour of commits into one partition, before and after maintenance (for each
 * interval of BENCH_SINK_INTERVALS seconds, default 60,10: 3600 / interval appends of
 * BENCH_SINK_ROWS rows, scaled by BENCH_SINK_HOURS, default 1). BENCH_SECONDS per measurement
 * (default 5).
 */
import { type PlatformEnv, readPlatformEnv } from '@openfoundry/infra-local';
import { type RunningCatalog, startCatalog } from './catalog/catalog-process.ts';
import { retainedSnapshots } from './catalog/file-model.ts';
import {
  type CommitOnce,
  commitsPerSecond,
  percentile,
  type Run,
  runWriters,
  sorted,
  timeEach,
} from './catalog/measure.ts';
import { RawCommits } from './catalog/raw-commit.ts';
import { type LoadedTable, RestCatalogClient } from './catalog/rest-client.ts';
import { SinkFiles, type SinkRun, sinkRows } from './catalog/sink-files.ts';
import { Warehouse } from './catalog/warehouse.ts';
import { printTable, type Row } from './table.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const SNAPSHOTS = Number(process.env.BENCH_SNAPSHOTS ?? 1000);
const LOADS = Number(process.env.BENCH_LOADS ?? 200);
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'info';
const SINK_INTERVALS = (process.env.BENCH_SINK_INTERVALS ?? '60,10').split(',').map(Number);
const SINK_ROWS = Number(process.env.BENCH_SINK_ROWS ?? 300);
const SINK_HOURS = Number(process.env.BENCH_SINK_HOURS ?? 1);
const WRITERS = [1, 4, 8] as const;
const SHAPES = ['one table', 'a table each'] as const;
type Shape = (typeof SHAPES)[number];

const log = (message: string) => console.log(`[bench:catalog] ${message}`);

interface Measured {
  shape: Shape;
  writers: number;
  catalog: Run;
  casOnly: Run;
  s3AndCas: Run;
}

/** `count` items taken from `items` in turn: writer i gets table i mod the number of tables. */
function roundRobin<T>(items: readonly T[], count: number): T[] {
  return Array.from({ length: count }, (_, i) => items.slice(i % items.length)[0] as T);
}

class Bench {
  private tables = 0;
  readonly namespace: string[];
  readonly catalog: RunningCatalog;
  readonly client: RestCatalogClient;
  readonly raw: RawCommits;

  constructor(catalog: RunningCatalog, client: RestCatalogClient, raw: RawCommits) {
    this.catalog = catalog;
    this.client = client;
    this.raw = raw;
    this.namespace = [catalog.tenant, 'bench'];
  }

  async setUp(): Promise<void> {
    await this.client.createNamespace([this.catalog.tenant]);
    await this.client.createNamespace(this.namespace);
    await this.raw.createNamespace();
  }

  async createTable(): Promise<{ name: string; table: LoadedTable }> {
    const name = `t${++this.tables}`;
    return { name, table: await this.client.createTable(this.namespace, name) };
  }

  /** `writers` catalog writers on one fresh table or one fresh table each. */
  async catalogWriters(shape: Shape, writers: number): Promise<CommitOnce[]> {
    const tables = await Promise.all(
      Array.from({ length: shape === 'one table' ? 1 : writers }, () => this.createTable()),
    );
    return roundRobin(tables, writers).map(({ name, table }) =>
      this.client.writer(this.namespace, name, table),
    );
  }

  /** The same over raw pointer rows: with or without the metadata file write to S3. */
  async rawWriters(shape: Shape, writers: number, withS3: boolean) {
    const { table: seed } = await this.createTable();
    const names = Array.from({ length: shape === 'one table' ? 1 : writers }, () => `r${++this.tables}`);
    for (const name of names)
      await this.raw.createTable(name, seed.metadata, seed.metadata['table-uuid'] as string);
    return Promise.all(roundRobin(names, writers).map((name) => this.raw.writer(name, withS3)));
  }

  async rawRun(shape: Shape, writers: number, withS3: boolean, seconds = SECONDS): Promise<Run> {
    const connections = await this.rawWriters(shape, writers, withS3);
    try {
      return await runWriters(
        connections.map((c) => c.commit),
        seconds,
      );
    } finally {
      for (const c of connections) c.release();
    }
  }

  async measure(shape: Shape, writers: number): Promise<Measured> {
    log(`${writers} writer(s), ${shape}: catalog, raw compare-and-swap, raw S3 PUT + compare-and-swap`);
    const catalog = await runWriters(await this.catalogWriters(shape, writers), SECONDS);
    const casOnly = await this.rawRun(shape, writers, false);
    const s3AndCas = await this.rawRun(shape, writers, true);
    return { shape, writers, catalog, casOnly, s3AndCas };
  }
}

function commitRows(measured: Measured[], against: 'casOnly' | 's3AndCas'): Row[] {
  return measured.flatMap((m) => {
    const base = m[against];
    const prefix = `${m.writers} writer${m.writers > 1 ? 's' : ''}:`;
    return [
      {
        what: `${prefix} commits/s`,
        ours: commitsPerSecond(m.catalog),
        baseline: commitsPerSecond(base),
        unit: '',
        higherIsBetter: true,
      },
      {
        what: `${prefix} p50 ms`,
        ours: percentile(m.catalog.latencies, 0.5),
        baseline: percentile(base.latencies, 0.5),
        unit: '',
        higherIsBetter: false,
      },
      {
        what: `${prefix} p99 ms`,
        ours: percentile(m.catalog.latencies, 0.99),
        baseline: percentile(base.latencies, 0.99),
        unit: '',
        higherIsBetter: false,
      },
    ];
  });
}

function retriesLine(measured: Measured[]): string {
  const per = (run: Run) => (run.commits ? run.retries / run.commits : 0).toFixed(2);
  return `409 retries per commit (catalog / raw CAS / raw S3 PUT + CAS): ${measured
    .map((m) => `${m.writers}w ${per(m.catalog)} / ${per(m.casOnly)} / ${per(m.s3AndCas)}`)
    .join(', ')}`;
}

function printCommits(all: Measured[]): void {
  for (const shape of SHAPES) {
    const measured = all.filter((m) => m.shape === shape);
    printTable(
      `commit (append a snapshot, move main) on ${shape}: the catalog over HTTP vs the raw Postgres compare-and-swap (its own select + update … where metadata_location = $expected, in a transaction)`,
      'raw PG CAS',
      commitRows(measured, 'casOnly'),
      'catalog',
    );
    printTable(
      `the same vs the commit's I/O without the service: append to the cached metadata, JSON.stringify, S3 PUT (If-None-Match), then the same CAS`,
      'raw S3 PUT + CAS',
      commitRows(measured, 's3AndCas'),
      'catalog',
    );
    console.log(retriesLine(measured));
  }
  const alone = all.find((m) => m.shape === 'a table each' && m.writers === 1);
  if (!alone) return;
  const [cas, s3, ours] = [alone.casOnly, alone.s3AndCas, alone.catalog].map((run) =>
    percentile(run.latencies, 0.5),
  ) as [number, number, number];
  console.log(
    `\nwhere one writer's commit goes (p50): ${cas.toFixed(2)} ms the Postgres CAS, ` +
      `+${(s3 - cas).toFixed(2)} ms the metadata JSON and its S3 PUT, ` +
      `+${(ours - s3).toFixed(2)} ms the service (HTTP, validation, lossless JSON, the client parsing the response) = ${ours.toFixed(2)} ms`,
  );
}

async function measureLoads(bench: Bench, warehouse: Warehouse): Promise<void> {
  log(`building a table of ${SNAPSHOTS} snapshots through the catalog, one commit at a time`);
  const { name, table } = await bench.createTable();
  const build = await timeEach(SNAPSHOTS, bench.client.writer(bench.namespace, name, table));
  const loaded = await bench.client.load(bench.namespace, name);
  const location = loaded['metadata-location'];
  const fileBytes = (await warehouse.get(location)).length;

  log(`loadTable × ${LOADS} vs S3 GET of its metadata file × ${LOADS}`);
  await timeEach(10, () => bench.client.loadText(bench.namespace, name));
  const loads = sorted(await timeEach(LOADS, () => bench.client.loadText(bench.namespace, name)));
  const refLoads = sorted(
    await timeEach(LOADS, () => bench.client.loadText(bench.namespace, name, '?snapshots=refs')),
  );
  await timeEach(10, () => warehouse.get(location));
  const gets = sorted(await timeEach(LOADS, () => warehouse.get(location)));
  const row = (what: string, ours: readonly number[], p: number): Row => ({
    what,
    ours: percentile(ours, p),
    baseline: percentile(gets, p),
    unit: 'ms',
    higherIsBetter: false,
  });
  printTable(
    `loadTable after ${SNAPSHOTS.toLocaleString('en-US')} snapshots (metadata file ${(fileBytes / 1024).toFixed(0)} KiB) vs S3 GET of that file`,
    'S3 GET',
    [
      row('loadTable p50', loads, 0.5),
      row('loadTable p99', loads, 0.99),
      row('loadTable ?snapshots=refs p50', refLoads, 0.5),
      row('loadTable ?snapshots=refs p99', refLoads, 0.99),
    ],
    'catalog',
  );
  const window = Math.max(1, Math.min(50, Math.floor(SNAPSHOTS / 4)));
  const early = sorted(build.slice(0, window));
  const late = sorted(build.slice(-window));
  const { snapshots, 'snapshot-log': snapshotLog } = loaded.metadata;
  const perSnapshot =
    (JSON.stringify(snapshots).length + JSON.stringify(snapshotLog).length) / snapshots.length;
  console.log(
    `commit p50 while building: ${percentile(early, 0.5).toFixed(2)} ms for snapshots 1–${window}, ` +
      `${percentile(late, 0.5).toFixed(2)} ms for the last ${window} (every commit rewrites the whole metadata file: ` +
      `${perSnapshot.toFixed(0)} bytes per snapshot)`,
  );
  printMetadataGrowth(perSnapshot);
}

function printMetadataGrowth(bytesPerSnapshot: number): void {
  for (const interval of [10, 60]) {
    const kept = retainedSnapshots(interval);
    console.log(
      `${interval} s commits under 7-day snapshot expiry (COMPUTED): ${kept.toLocaleString('en-US')} snapshots kept, ` +
        `a metadata file of ~${((kept * bytesPerSnapshot) / 2 ** 20).toFixed(1)} MiB rewritten on every commit ` +
        `(${bytesPerSnapshot.toFixed(0)} bytes per snapshot measured above)`,
    );
  }
}

async function measureSink(bench: Bench, warehouse: Warehouse, env: PlatformEnv): Promise<void> {
  const sink = new SinkFiles(env, warehouse, bench.namespace, bench.catalog.url, bench.catalog.token);
  try {
    for (const interval of SINK_INTERVALS) {
      const commits = Math.max(1, Math.round((3600 / interval) * SINK_HOURS));
      log(
        `sink: ${commits} appends of ${SINK_ROWS} rows into one day partition (${interval} s commits), then maintenance`,
      );
      printSink(await sink.run(interval, commits, SINK_ROWS));
    }
  } finally {
    sink.close();
  }
}

function printSink(run: SinkRun): void {
  const hours = (run.commits * run.intervalSeconds) / 3600;
  const span = hours === 1 ? 'an hour' : `${hours.toLocaleString('en-US')} h`;
  printTable(
    `files of a lakehouse sink, ${span} at ${run.intervalSeconds} s commits into one day partition (MEASURED: ` +
      `${run.commits} appends of ${run.rowsPerCommit} rows through @openfoundry/lakehouse, then compact toward 256 MiB, ` +
      'expire every snapshot but the head, remove orphan files; objects listed on S3 under the table location)',
    `after ${run.commits} appends`,
    sinkRows(run),
    'after maintenance',
  );
  const ms = (v: number) => `${v.toFixed(0)} ms`;
  const p = (q: number) =>
    run.appendMs[Math.min(run.appendMs.length - 1, Math.floor(run.appendMs.length * q))] ?? 0;
  const compact = run.afterCompact;
  console.log(
    `append p50 ${ms(p(0.5))}, p99 ${ms(p(0.99))}; ` +
      `compact ${ms(run.compactMs)} (${run.compacted.rewritten} files → ${run.compacted.added}; then ${compact.stored.objects} objects on S3, ` +
      `a scan opens ${compact.reads.manifests} manifest(s) and ${compact.reads.dataFiles} data file(s)); ` +
      `expire ${ms(run.expireMs)} (${run.expired.snapshots} snapshots, ${run.expired.deletedFiles} files deleted); ` +
      `orphan removal ${ms(run.orphansMs)} (${run.orphans} files)`,
  );
}

async function main(): Promise<void> {
  const env = readPlatformEnv();
  const catalog = await startCatalog(env, LOG_LEVEL);
  const warehouse = new Warehouse(env);
  const raw = new RawCommits(catalog.database.url, [catalog.tenant, 'raw'], warehouse);
  const client = new RestCatalogClient(catalog.url, catalog.token, env.OPENFOUNDRY_S3_WAREHOUSE_BUCKET);
  const bench = new Bench(catalog, client, raw);
  log(
    `catalog on ${catalog.url} (pid ${catalog.pid}), database ${catalog.database.name}, tenant ${catalog.tenant}`,
  );
  try {
    await bench.setUp();
    log('warm-up');
    await runWriters(await bench.catalogWriters('a table each', 2), 1);
    await bench.rawRun('a table each', 2, true, 1);

    const measured: Measured[] = [];
    for (const shape of SHAPES)
      for (const writers of WRITERS) measured.push(await bench.measure(shape, writers));
    printCommits(measured);
    await measureLoads(bench, warehouse);
    await measureSink(bench, warehouse, env);
  } finally {
    await raw.close();
    const deleted = await warehouse.deletePrefix(catalog.tenant).catch(() => 0);
    warehouse.close();
    await catalog.stop();
    log(
      `cleaned up: ${deleted} objects under s3://${env.OPENFOUNDRY_S3_WAREHOUSE_BUCKET}/${catalog.tenant}/, database dropped`,
    );
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`[bench:catalog] failed: ${(error as Error).stack ?? error}`);
    process.exit(1);
  },
);
