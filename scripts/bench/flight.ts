/**
 * `npm run bench:flight`: the Flight SQL edge against the limit (the same DuckDB in-process, to
 * Arrow) and against what users would otherwise use (PostgreSQL through libpq), on TPC-H data from
 * DuckDB's `tpch` extension, in one run.
 *
 * It starts the built sql-bi-gateway-service itself on free ports with a throwaway database, has
 * the measuring program (flight/bench.py, in a venv cached outside the checkout) generate the data
 * inside the gateway through a Flight SQL update (`CALL dbgen`), in-process, and in PostgreSQL, and
 * prints the measurements side by side. Scale factor 1 by default; BENCH_SF=0.1 for a quick run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pythonVenv, readPlatformEnv, repoRoot, run } from '@openfoundry/infra-local';
import { createTestDatabase, freePort, type TestDatabase } from '@openfoundry/service-kit/testing';
import { probeEngine, startTransportProbe } from './flight/probes.ts';
import { printTable } from './table.ts';

const SF = Number(process.env.BENCH_SF ?? 1);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const PINGS = Number(process.env.BENCH_PINGS ?? 1000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const USER = 'bench';
const PASSWORD = 'bench';

const here = dirname(fileURLToPath(import.meta.url));
const requirements = join(here, 'flight', 'requirements.txt');
const program = join(here, 'flight', 'bench.py');
const gatewayEntry = join(repoRoot(), 'services', 'sql-bi-gateway-service', 'dist', 'src', 'main.js');
const BENCH_TIMEOUT_MS = 30 * 60_000;
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

const log = (message: string) => console.log(`[bench:flight] ${message}`);

/** The resident memory of a process in MB, from /proc (Linux). */
function rssMb(pid: number): number | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
    return line ? Number(line[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Samples the gateway's resident memory every 100 ms and keeps, per bench phase (the progress
 * line bench.py printed last), the memory when the phase began and its peak.
 */
function memorySampler(pid: number) {
  const phases = new Map<string, { start: number; peak: number }>();
  let phase = 'start';
  const sample = () => {
    const mb = rssMb(pid);
    if (mb === undefined) return;
    const entry = phases.get(phase) ?? { start: mb, peak: mb };
    entry.peak = Math.max(entry.peak, mb);
    phases.set(phase, entry);
  };
  const timer = setInterval(sample, 100);
  return {
    onStderr(text: string) {
      for (const line of text.split('\n')) {
        const progress = line.match(/^\[bench:flight\] (.+)$/);
        if (progress) {
          sample();
          phase = progress[1] as string;
          sample();
        }
      }
    },
    stop() {
      clearInterval(timer);
      return phases;
    },
  };
}

/** The bench's venv, keyed by its pinned requirements and built through a staging folder. */
function ensurePython(): Promise<string> {
  return pythonVenv(requirements, 'flight-sql-bench', log);
}

interface Gateway {
  child: ChildProcess;
  flightPort: number;
  output: () => string;
  stop: () => Promise<void>;
}

/** The built gateway as an operator runs it, with its own in-memory `duckdb` catalog. */
async function startGateway(database: TestDatabase, extensionDirectory: string): Promise<Gateway> {
  if (!existsSync(gatewayEntry)) throw new Error(`${gatewayEntry} is missing: run turbo run build first`);
  const [httpPort, flightPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [gatewayEntry], {
    env: {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'warn',
      DATABASE_URL: database.url,
      PORT: String(httpPort),
      FLIGHT_SQL_PORT: String(flightPort),
      OPENFOUNDRY_SQL_USERS: `${USER}:${PASSWORD}:duckdb,postgres`,
      OPENFOUNDRY_DUCKDB_EXTENSION_DIR: extensionDirectory,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const keep = (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the gateway exited early:\n${text}`);
    const status = await fetch(`http://127.0.0.1:${httpPort}/readyz`).then(
      (res) => res.status,
      () => 0,
    );
    if (status === 200) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the gateway was not ready within ${READY_TIMEOUT_MS / 1000}s:\n${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { child, flightPort, output: () => text, stop };
}

interface Timing {
  edge_s: number;
  local_s: number;
  pg_s: number;
}

interface Ping {
  p50_s: number;
  p99_s: number;
  max_s: number;
}

interface Concurrent {
  clients: number;
  queries: number;
  rows: number;
  s: number;
}

interface Results {
  sf: number;
  rows: number;
  edge_load_s: number;
  local_dbgen_s: number;
  pg_load_s: number;
  edge_batches: number;
  scan: Timing & {
    arrow_bytes: number;
    pg_wire_bytes: number;
    schemas_equal: boolean;
    edge_schema: string;
    replay_s: number;
  };
  tpch: Record<'Q1' | 'Q6', Timing & { rows: number; same_result: boolean }>;
  ping: { edge: Ping; local: Ping; relay_nodelay: Ping; relay_nagle: Ping };
  concurrency: { one: Concurrent; many: Concurrent; mid_rows: number };
}

function report(r: Results): void {
  const mb = r.scan.arrow_bytes / 1e6;
  const scanRows = (seconds: number) => r.rows / seconds;
  console.log(
    `\nTPC-H SF ${r.sf}: lineitem ${r.rows.toLocaleString('en-US')} rows, ${mb.toFixed(0)} MB as Arrow ` +
      `(${(r.scan.pg_wire_bytes / 1e6).toFixed(0)} MB as PostgreSQL COPY binary); median of ${REPEATS} runs after a warm-up`,
  );
  console.log(
    `Q1 ${r.tpch.Q1.same_result ? 'same' : 'DIFFERENT'} and Q6 ${r.tpch.Q6.same_result ? 'same' : 'DIFFERENT'} results through the edge and in-process`,
  );
  console.log(
    `dbgen in-process ${r.local_dbgen_s.toFixed(1)} s; into PostgreSQL ${r.pg_load_s.toFixed(1)} s; ` +
      `into the edge's duckdb catalog from its postgres catalog ${r.edge_load_s.toFixed(1)} s; ` +
      `the edge sent ${r.edge_batches} record batches; ` +
      `schemas ${r.scan.schemas_equal ? 'equal' : 'DIFFER'}`,
  );
  const timings = (t: Timing, against: 'local_s' | 'pg_s') => ({ ours: t.edge_s, baseline: t[against] });
  printTable(
    'SELECT * FROM lineitem and TPC-H through the edge vs in-process DuckDB (the limit)',
    'in-process DuckDB',
    [
      {
        what: 'full scan rows/s',
        ours: scanRows(r.scan.edge_s),
        baseline: scanRows(r.scan.local_s),
        unit: 'rows/s',
        higherIsBetter: true,
      },
      {
        what: 'full scan MB/s (Arrow)',
        ours: mb / r.scan.edge_s,
        baseline: mb / r.scan.local_s,
        unit: 'MB/s',
        higherIsBetter: true,
      },
      { what: 'TPC-H Q1', ...timings(r.tpch.Q1, 'local_s'), unit: 's', higherIsBetter: false },
      { what: 'TPC-H Q6', ...timings(r.tpch.Q6, 'local_s'), unit: 's', higherIsBetter: false },
      {
        what: 'SELECT 1 p50',
        ours: r.ping.edge.p50_s * 1e3,
        baseline: r.ping.local.p50_s * 1e3,
        unit: 'ms',
        higherIsBetter: false,
      },
      {
        what: 'SELECT 1 p99',
        ours: r.ping.edge.p99_s * 1e3,
        baseline: r.ping.local.p99_s * 1e3,
        unit: 'ms',
        higherIsBetter: false,
      },
    ],
    'edge (ADBC)',
  );
  printTable(
    'The same through the edge vs PostgreSQL through libpq (psycopg, COPY … TO STDOUT binary)',
    'PostgreSQL',
    [
      {
        what: 'full scan rows/s',
        ours: scanRows(r.scan.edge_s),
        baseline: scanRows(r.scan.pg_s),
        unit: 'rows/s',
        higherIsBetter: true,
      },
      {
        what: 'full scan MB/s (Arrow)',
        ours: mb / r.scan.edge_s,
        baseline: mb / r.scan.pg_s,
        unit: 'MB/s',
        higherIsBetter: true,
      },
      { what: 'TPC-H Q1', ...timings(r.tpch.Q1, 'pg_s'), unit: 's', higherIsBetter: false },
      { what: 'TPC-H Q6', ...timings(r.tpch.Q6, 'pg_s'), unit: 's', higherIsBetter: false },
    ],
    'edge (ADBC)',
  );
  const { relay_nodelay: on, relay_nagle: off } = r.ping;
  printTable(
    'SELECT 1 through a TCP relay in front of the edge, its sockets with TCP_NODELAY on vs off',
    'TCP_NODELAY off',
    [
      {
        what: 'SELECT 1 p50',
        ours: on.p50_s * 1e3,
        baseline: off.p50_s * 1e3,
        unit: 'ms',
        higherIsBetter: false,
      },
      {
        what: 'SELECT 1 p99',
        ours: on.p99_s * 1e3,
        baseline: off.p99_s * 1e3,
        unit: 'ms',
        higherIsBetter: false,
      },
    ],
    'TCP_NODELAY on',
  );
  console.log(
    "The edge's own sockets already have TCP_NODELAY: grpc-js serves through Node's http2 server, which sets it on every accepted socket; the ADBC driver (Go) sets it on its side.",
  );
  const { one, many, mid_rows } = r.concurrency;
  printTable(
    `${many.clients} concurrent ADBC clients vs 1, each running ${many.queries / many.clients} x a ${mid_rows.toLocaleString('en-US')}-row slice of lineitem`,
    '1 client',
    [
      {
        what: 'queries/s',
        ours: many.queries / many.s,
        baseline: one.queries / one.s,
        unit: 'q/s',
        higherIsBetter: true,
      },
      {
        what: 'rows/s',
        ours: many.rows / many.s,
        baseline: one.rows / one.s,
        unit: 'rows/s',
        higherIsBetter: true,
      },
      {
        what: 'mean time per query',
        ours: many.s / (many.queries / many.clients),
        baseline: one.s / one.queries,
        unit: 's',
        higherIsBetter: false,
      },
    ],
    `${many.clients} clients`,
  );
}

/**
 * The full scan taken apart: the gateway's engine alone (DuckDB to encoded FlightData, in this
 * process), its transport alone (gRPC/HTTP/2 to the same ADBC client, batches replayed), and the
 * whole edge, each against in-process DuckDB to Arrow.
 */
function reportWhereTimeGoes(r: Results, engineSeconds: number, engineBytes: number): void {
  const mb = r.scan.arrow_bytes / 1e6;
  const local = mb / r.scan.local_s;
  printTable(
    'Where the full-scan time goes: each part of the edge alone vs in-process DuckDB to Arrow (MB/s of Arrow)',
    'in-process DuckDB',
    [
      {
        what: "engine: gateway's DuckDB to FlightData, no network",
        ours: engineBytes / 1e6 / engineSeconds,
        baseline: local,
        unit: 'MB/s',
        higherIsBetter: true,
      },
      {
        what: 'transport: replayed batches to ADBC, no engine',
        ours: mb / r.scan.replay_s,
        baseline: local,
        unit: 'MB/s',
        higherIsBetter: true,
      },
      {
        what: 'the whole edge (ADBC)',
        ours: mb / r.scan.edge_s,
        baseline: local,
        unit: 'MB/s',
        higherIsBetter: true,
      },
    ],
  );
  console.log(
    "Both halves share this machine's cores with DuckDB's scan threads and the client. In the edge, fetching and copying a batch runs on a worker thread (one batch ahead) and the body it assembles is sent as it is, so the gRPC thread only writes.",
  );
}

/** The gateway's memory while it streamed the full scans, against the size of one result. */
function reportMemory(phases: Map<string, { start: number; peak: number }>, resultMb: number): void {
  const scan = [...phases].find(([phase]) => phase.startsWith('full scan, ADBC through the edge'));
  if (!scan) return;
  const [, { start, peak }] = scan;
  console.log(
    `\nGateway memory (RSS) while streaming the edge's full scans: ${start.toFixed(0)} MB before, ` +
      `peak ${peak.toFixed(0)} MB (+${(peak - start).toFixed(0)} MB) for results of ${resultMb.toFixed(0)} MB each: ` +
      'batches are produced as the client takes them, the result is never held whole.',
  );
}

async function main(): Promise<void> {
  const env = readPlatformEnv();
  const extensionDirectory = env.OPENFOUNDRY_DUCKDB_EXTENSION_DIR;
  if (!extensionDirectory)
    throw new Error('OPENFOUNDRY_DUCKDB_EXTENSION_DIR is not set: run npm run infra first');
  process.env.OPENFOUNDRY_PG_ADMIN_URL ??= env.OPENFOUNDRY_PG_ADMIN_URL;
  const python = await ensurePython();
  const database = await createTestDatabase('of_bench_flight');
  let gateway: Gateway | undefined;
  let transport: Awaited<ReturnType<typeof startTransportProbe>> | undefined;
  try {
    log(`the gateway's engine alone: CALL dbgen(sf=${SF}), then the full scan to FlightData, no network`);
    const engine = await probeEngine(extensionDirectory, SF, REPEATS);
    transport = await startTransportProbe(engine, USER, PASSWORD);
    gateway = await startGateway(database, extensionDirectory);
    log(`gateway on 127.0.0.1:${gateway.flightPort}, database ${database.name}, TPC-H SF ${SF}`);
    const memory = gateway.child.pid ? memorySampler(gateway.child.pid) : undefined;
    const done = await run(
      python,
      [
        program,
        '--host',
        '127.0.0.1',
        '--port',
        String(gateway.flightPort),
        '--user',
        USER,
        '--password',
        PASSWORD,
        '--sf',
        String(SF),
        '--extension-dir',
        extensionDirectory,
        '--pg-url',
        database.url,
        '--repeats',
        String(REPEATS),
        '--pings',
        String(PINGS),
        '--clients',
        String(CLIENTS),
        '--replay-port',
        String(transport.port),
      ],
      {
        timeoutMs: BENCH_TIMEOUT_MS,
        allowFailure: true,
        // Progress lines pass through live, and mark the bench's phases for the memory sampler.
        onStderr: (text) => {
          process.stderr.write(text);
          memory?.onStderr(text);
        },
      },
    );
    const phases = memory?.stop();
    const last = done.stdout.trim().split('\n').pop() ?? '';
    if (done.code !== 0 || !last.startsWith('{'))
      throw new Error(
        `bench.py failed (exit ${done.code}):\n${done.stderr.slice(-4000)}\ngateway:\n${gateway.output().slice(-4000)}`,
      );
    const results = JSON.parse(last) as Results;
    report(results);
    reportWhereTimeGoes(results, engine.seconds, engine.bytes);
    if (phases) reportMemory(phases, results.scan.arrow_bytes / 1e6);
  } finally {
    await transport?.close();
    await gateway?.stop();
    await database.drop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
