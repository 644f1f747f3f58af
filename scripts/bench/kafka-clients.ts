/**
 * Compares Kafka client libraries on the local broker with one harness: producer throughput,
 * awaited-send latency, consumer throughput, and a no-loss check under broker-link cuts.
 * The numbers back ADR 0009. Run with `npm run bench:kafka-clients -- --help`.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readPlatformEnv } from '@openfoundry/infra-local';
import type { BenchClient, KafkaTarget } from './kafka-clients/bench-client.ts';
import { loadConfluentClient } from './kafka-clients/confluent.client.ts';
import { kafkajsClient } from './kafka-clients/kafkajs.client.ts';
import {
  type ConsumerRun,
  type LatencyRun,
  measureConsumer,
  measureLatency,
  measureProducer,
  type ProducerRun,
  type ThroughputSettings,
} from './kafka-clients/measure.ts';
import { measureNoLoss, type NoLossRun, type NoLossSettings } from './kafka-clients/no-loss.ts';
import { platformaticClient } from './kafka-clients/platformatic.client.ts';
import { BenchTopics } from './kafka-clients/topics.ts';

const USAGE = `Usage: npm run bench:kafka-clients -- [options]
  --clients=kafkajs,platformatic,confluent   which clients to run (confluent is skipped if not built)
  --phases=producer,latency,consumer,no-loss which measurements to take
  --confluent-dir=/tmp/ckjs                  npm prefix where @confluentinc/kafka-javascript was built
  --confluent-linger-ms=N                    override librdkafka's linger.ms (default 5)
  --messages=200000 --keys=1000              producer/consumer throughput workload (1 KiB values)
  --in-flight=1000                           unacknowledged single-message sends at once
  --batch=100 --batch-in-flight=10           second producer run: messages per send() call, calls in flight
  --latency-sends=2000                       awaited single sends for p50/p99
  --loss-messages=100000 --loss-keys=100     no-loss run; fewer keys means more same-key sends in flight
  --loss-batch=1                             messages per send() call in the no-loss run
  --cuts=3 --cut-ms=3000                     broker-link cuts during the no-loss run and their length
  --json=FILE                                also write the raw results as JSON`;

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: 'kafkajs,platformatic,confluent' },
    phases: { type: 'string', default: 'producer,latency,consumer,no-loss' },
    'confluent-dir': { type: 'string', default: '/tmp/ckjs' },
    'confluent-linger-ms': { type: 'string' },
    messages: { type: 'string', default: '200000' },
    keys: { type: 'string', default: '1000' },
    'in-flight': { type: 'string', default: '1000' },
    batch: { type: 'string', default: '100' },
    'batch-in-flight': { type: 'string', default: '10' },
    'latency-sends': { type: 'string', default: '2000' },
    'loss-messages': { type: 'string', default: '100000' },
    'loss-keys': { type: 'string', default: '100' },
    'loss-batch': { type: 'string', default: '1' },
    cuts: { type: 'string', default: '3' },
    'cut-ms': { type: 'string', default: '3000' },
    partitions: { type: 'string', default: '6' },
    json: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}

const int = (name: keyof typeof args): number => {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a whole number`);
  return value;
};

/** A stuck client must not keep the benchmark (and its topics on the shared broker) alive. */
const HARD_LIMIT_MS = 40 * 60_000;
const PHASE_DEADLINE_MS = 5 * 60_000;
const VALUE_SIZE = 1024;

const env = readPlatformEnv();
const target: KafkaTarget = {
  brokers: env.OPENFOUNDRY_KAFKA_BROKERS.split(','),
  username: env.OPENFOUNDRY_KAFKA_ADMIN_USER,
  password: env.OPENFOUNDRY_KAFKA_ADMIN_PASSWORD,
};
const partitions = int('partitions');
const PHASES = ['producer', 'latency', 'consumer', 'no-loss'] as const;
const phases = new Set(args.phases.split(',').map((p) => p.trim()));
for (const phase of phases) {
  if (!(PHASES as readonly string[]).includes(phase))
    throw new Error(`unknown phase "${phase}" (${PHASES.join(', ')})`);
}
const throughput: ThroughputSettings = {
  partitions,
  messages: int('messages'),
  keys: int('keys'),
  valueSize: VALUE_SIZE,
  modes: [
    { batch: 1, inFlight: int('in-flight') },
    { batch: int('batch'), inFlight: int('batch-in-flight') },
  ],
  latencySends: int('latency-sends'),
  deadlineMs: PHASE_DEADLINE_MS,
};
const cuts = int('cuts');
const noLoss: NoLossSettings = {
  partitions,
  messages: int('loss-messages'),
  keys: int('loss-keys'),
  valueSize: VALUE_SIZE,
  inFlight: int('in-flight'),
  batch: Math.max(1, int('loss-batch')),
  cutsAt: Array.from({ length: cuts }, (_, i) => 0.2 + (0.5 * i) / Math.max(1, cuts - 1)),
  cutMs: int('cut-ms'),
  deadlineMs: PHASE_DEADLINE_MS,
  proxyPort: Number(env.OPENFOUNDRY_KAFKA_FAULT_PROXY_PORT),
  faultListenerPort: Number(env.OPENFOUNDRY_KAFKA_FAULT_PORT),
};

interface ClientResult {
  client: BenchClient;
  producer: ProducerRun[];
  latency?: LatencyRun;
  consumer?: ConsumerRun;
  noLoss?: NoLossRun;
  /** Errors the library threw outside any promise: in a service these end the process. */
  uncaught: string[];
  failure?: string;
}

const log = (message: string) => console.error(`[bench] ${message}`);

let running: ClientResult | undefined;

function selectClients(): BenchClient[] {
  const wanted = args.clients.split(',').map((id) => id.trim());
  const clients: BenchClient[] = [];
  for (const id of wanted) {
    if (id === 'kafkajs') clients.push(kafkajsClient);
    else if (id === 'platformatic') clients.push(platformaticClient);
    else if (id === 'confluent') {
      const linger = args['confluent-linger-ms'] === undefined ? undefined : int('confluent-linger-ms');
      const confluent = loadConfluentClient(args['confluent-dir'], linger);
      if (typeof confluent === 'string') log(`skipping confluent: ${confluent}`);
      else clients.push(confluent);
    } else throw new Error(`unknown client "${id}" (kafkajs, platformatic, confluent)`);
  }
  return clients;
}

async function benchmark(client: BenchClient, topics: BenchTopics, runId: string): Promise<ClientResult> {
  const result: ClientResult = { client, producer: [], uncaught: [] };
  running = result;
  const prefix = `bench.kafka-clients.${runId}.${client.id}`;
  try {
    if (phases.has('producer') || phases.has('latency') || phases.has('consumer')) {
      const topic = await topics.create(`${prefix}.throughput`, partitions);
      for (const mode of phases.has('producer') ? throughput.modes : []) {
        log(`${client.name}: producer, ${mode.batch} message(s) per send, ${mode.inFlight} sends in flight`);
        result.producer.push(await measureProducer(client, target, topic, throughput, mode));
      }
      if (phases.has('latency')) {
        log(`${client.name}: latency of ${throughput.latencySends} awaited sends`);
        result.latency = await measureLatency(client, target, topic, throughput);
      }
      if (phases.has('consumer')) {
        log(`${client.name}: consumer`);
        result.consumer = await measureConsumer(client, target, topic, topics, throughput);
      }
    }
    if (phases.has('no-loss')) {
      const lossTopic = await topics.create(`${prefix}.no-loss`, partitions);
      log(`${client.name}: no-loss, ${noLoss.messages} messages, ${cuts} cuts of ${noLoss.cutMs} ms`);
      result.noLoss = await measureNoLoss(client, target, platformaticClient, lossTopic, topics, noLoss);
    }
  } catch (error) {
    result.failure = (error as Error).message;
    log(`${client.name}: ${result.failure}`);
  } finally {
    running = undefined;
  }
  return result;
}

const fmt = (n: number | undefined, digits = 0) =>
  n === undefined || Number.isNaN(n)
    ? '—'
    : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function table(results: ClientResult[]): string {
  const modeLabel = (m: { batch: number; inFlight: number }) =>
    m.batch === 1 ? `1 msg/send, ${m.inFlight} in flight` : `${m.batch} msgs/send, ${m.inFlight} in flight`;
  const rows: [string, (r: ClientResult) => string][] = [['version', (r) => r.client.version]];
  throughput.modes.forEach((mode, i) => {
    const run = (r: ClientResult) => r.producer[i];
    rows.push(
      [`produce msgs/s (${modeLabel(mode)})`, (r) => fmt(run(r)?.msgsPerSec)],
      [`produce MiB/s (${modeLabel(mode)})`, (r) => fmt(run(r)?.mibPerSec, 1)],
      [
        `  failed sends / timed out`,
        (r) => (run(r) ? `${fmt(run(r)?.failed)} / ${run(r)?.timedOut ? 'yes' : 'no'}` : '—'),
      ],
    );
  });
  const nl = (r: ClientResult) => r.noLoss;
  rows.push(
    ['send latency p50 ms (awaited, 1 msg)', (r) => fmt(r.latency?.p50Ms, 2)],
    ['send latency p99 ms', (r) => fmt(r.latency?.p99Ms, 2)],
    ['send latency max ms', (r) => fmt(r.latency?.maxMs, 2)],
    ['consume msgs/s', (r) => fmt(r.consumer?.msgsPerSec)],
    ['consume MiB/s', (r) => fmt(r.consumer?.mibPerSec, 1)],
    [
      '  records read / first record after ms',
      (r) => `${fmt(r.consumer?.records)} / ${fmt(r.consumer?.firstRecordMs)}`,
    ],
    [
      'no-loss: acked / rejected / unsettled',
      (r) => `${fmt(nl(r)?.acked)} / ${fmt(nl(r)?.failed)} / ${fmt(nl(r)?.unsettled)}`,
    ],
    ['no-loss: cuts / connections severed', (r) => `${fmt(nl(r)?.cuts)} / ${fmt(nl(r)?.severedConnections)}`],
    ['no-loss: produce time s', (r) => fmt((nl(r)?.produceMs ?? Number.NaN) / 1000, 1)],
    ['no-loss: LOST (acked, absent)', (r) => fmt(nl(r)?.lostAcked)],
    ['no-loss: lost, error surfaced', (r) => fmt(nl(r)?.lostReported)],
    ['no-loss: written despite error', (r) => fmt(nl(r)?.writtenDespiteError)],
    ['no-loss: duplicated', (r) => fmt(nl(r)?.duplicates)],
    ['no-loss: reordered (per key)', (r) => fmt(nl(r)?.reordered)],
    ['no-loss: keys split over partitions', (r) => fmt(nl(r)?.keysOnSeveralPartitions)],
    [
      'no-loss: reader saw every record',
      (r) => (nl(r) ? `${nl(r)?.readerComplete ? 'yes' : 'NO'} (${fmt(nl(r)?.recordsRead)})` : '—'),
    ],
    ['uncaught exceptions (would crash a service)', (r) => fmt(r.uncaught.length)],
    ['failure', (r) => r.failure ?? ''],
  );
  const header = ['', ...results.map((r) => r.client.name)];
  // Rows of phases that did not run (every cell a dash) would only hide the ones that did.
  const body = rows
    .map(([label, cell]) => [label, ...results.map(cell)])
    .filter((row) => row.slice(1).some((cell) => !/^[—\s/]*$/.test(cell)));
  const widths = header.map((_, c) => Math.max(...[header, ...body].map((row) => (row[c] ?? '').length)));
  const line = (row: string[]) => `| ${row.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

function kafkaVersion(): string {
  const libs = join(env.OPENFOUNDRY_KAFKA_HOME, 'libs');
  const jar = existsSync(libs)
    ? readdirSync(libs).find((f) => /^kafka_2\.13-[\d.]+\.jar$/.test(f))
    : undefined;
  return jar?.replace(/^kafka_2\.13-|\.jar$/g, '') ?? 'unknown';
}

async function main(): Promise<number> {
  const clients = selectClients();
  if (clients.length === 0) throw new Error('no client to benchmark');
  const runId = Date.now().toString(36);
  const topics = new BenchTopics(target);
  let cleaning: Promise<void> | undefined;
  const cleanup = () => {
    cleaning ??= topics
      .cleanup()
      .then((problems) => {
        for (const problem of problems) log(`cleanup: ${problem}`);
      })
      .finally(() => topics.close().catch(() => {}));
    return cleaning;
  };
  const abort = (code: number, why: string) => {
    log(`${why}; deleting the benchmark's topics`);
    const exit = () => process.exit(code);
    cleanup().then(exit, exit);
    setTimeout(exit, 15_000).unref();
  };
  process.once('SIGINT', () => abort(130, 'interrupted'));
  process.once('SIGTERM', () => abort(143, 'terminated'));
  setTimeout(() => abort(2, `still running after ${HARD_LIMIT_MS / 60_000} min`), HARD_LIMIT_MS).unref();
  // Record a library's stray exception against it and carry on, so one crash-prone client neither
  // hides the others' results nor leaves topics behind on the shared broker.
  const stray = (error: unknown) => {
    const message =
      error instanceof Error
        ? `${error.message}${error.cause ? ` (cause: ${(error.cause as Error).message})` : ''}`
        : String(error);
    if (!running) return abort(1, `uncaught outside a client run: ${message}`);
    running.uncaught.push(message);
    log(`${running.client.name}: UNCAUGHT ${message}`);
  };
  process.on('uncaughtException', stray);
  process.on('unhandledRejection', stray);

  const results: ClientResult[] = [];
  try {
    for (const client of clients) results.push(await benchmark(client, topics, runId));
  } finally {
    await cleanup();
  }

  const setup = [
    `Kafka ${kafkaVersion()}, one KRaft broker on 127.0.0.1 (SASL_PLAINTEXT, SCRAM-SHA-512), ${partitions} partitions, RF 1`,
    `Node ${process.versions.node}, ${availableParallelism()} cores shared by broker and client`,
    `acks=all, idempotent, ${VALUE_SIZE}-byte values, keyed over ${throughput.keys} keys, ${fmt(throughput.messages)} messages per producer run`,
    `no-loss: ${fmt(noLoss.messages)} messages over ${noLoss.keys} keys, ${noLoss.batch} per send, ${noLoss.inFlight} sends in flight, ${cuts} cuts of ${noLoss.cutMs} ms via FaultProxy; read back with ${platformaticClient.name}`,
  ];
  console.log(setup.map((s) => `- ${s}`).join('\n'));
  console.log();
  console.log(table(results));
  console.log();
  for (const r of results) {
    console.log(`${r.client.name}: ${r.client.notes.join('; ')}`);
    const errors = [...r.producer.flatMap((p) => p.errors), ...(r.noLoss?.errors ?? [])];
    if (errors.length > 0) console.log(`  errors surfaced: ${[...new Set(errors)].join(' | ')}`);
    if (r.uncaught.length > 0) console.log(`  uncaught: ${[...new Set(r.uncaught)].join(' | ')}`);
  }
  if (args.json) {
    const json = results.map(({ client, ...rest }) => ({
      client: client.name,
      version: client.version,
      ...rest,
    }));
    writeFileSync(args.json, JSON.stringify({ setup, results: json }, null, 2));
  }
  // A client that loses or reorders records is a finding, not a failed run; an incomplete measurement is.
  const incomplete = results.some((r) => r.failure || (phases.has('no-loss') && !r.noLoss?.readerComplete));
  return incomplete ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log((error as Error).stack ?? String(error));
    process.exit(1);
  },
);
