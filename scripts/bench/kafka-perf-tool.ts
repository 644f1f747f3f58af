/**
 * Kafka's own load generators (kafka-producer-perf-test, kafka-consumer-perf-test) run on the
 * platform's JDK against the local broker, so our library's figures can be printed next to the
 * reference Java client's. Run directly, it installs the tools and smoke-tests them on a scratch topic.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  loadConfig,
  type MavenArtifact,
  mavenCopyDependencies,
  readPlatformEnv,
  runLoose,
} from '@openfoundry/infra-local';
import { BenchTopics } from './kafka-clients/topics.ts';

/**
 * Maven Central does not publish org.apache.kafka:kafka-tools for 4.4.0, the broker's version; 4.3.1
 * is the newest it serves. Its clients speak the same protocol versions to a 4.4 broker.
 */
export const KAFKA_TOOLS_VERSION = '4.3.1';

const ARTIFACTS: MavenArtifact[] = [
  { groupId: 'org.apache.kafka', artifactId: 'kafka-tools', version: KAFKA_TOOLS_VERSION },
  // The tools log through slf4j 1.7 without a binding; this one keeps stderr free of its warnings.
  { groupId: 'org.slf4j', artifactId: 'slf4j-nop', version: '1.7.36' },
];
const DEFAULT_RUN_TIMEOUT_MS = 10 * 60_000;

export interface KafkaPerfTools {
  version: string;
  libsDir: string;
  java: string;
}

/** Who the tools connect as; defaults to the platform's admin principal on the SASL listener. */
export interface PerfConnection {
  bootstrapServers: string;
  username: string;
  password: string;
}

type Log = (message: string) => void;
type Properties = Record<string, string | number | boolean>;

function toolsDir(): string {
  return join(loadConfig().cacheDir, `kafka-tools-${KAFKA_TOOLS_VERSION}`);
}

const installed = (libs: string) =>
  existsSync(libs) && readdirSync(libs).includes(`kafka-tools-${KAFKA_TOOLS_VERSION}.jar`);

/**
 * Resolves kafka-tools and its runtime closure from Maven Central into the cache once; later calls
 * find the jars and return at once. The jars land in a staging folder first, so an interrupted
 * download never looks installed.
 */
export async function ensureKafkaPerfTools(log: Log = () => {}): Promise<KafkaPerfTools> {
  const dir = toolsDir();
  const libsDir = join(dir, 'libs');
  const java = readPlatformEnv().OPENFOUNDRY_JAVA;
  if (!installed(libsDir)) {
    // Resolved into a staging folder first, so an interrupted download never looks installed.
    await mavenCopyDependencies(ARTIFACTS, dir, libsDir, join(loadConfig().cacheDir, 'm2'), log);
  }
  return { version: KAFKA_TOOLS_VERSION, libsDir, java };
}

function defaultConnection(): PerfConnection {
  const env = readPlatformEnv();
  return {
    bootstrapServers: env.OPENFOUNDRY_KAFKA_BROKERS,
    username: env.OPENFOUNDRY_KAFKA_ADMIN_USER,
    password: env.OPENFOUNDRY_KAFKA_ADMIN_PASSWORD,
  };
}

/** Writes the SASL/SCRAM settings to a private temp file for the tool's --command-config. */
function withClientConfig<T>(
  connection: PerfConnection,
  extra: Properties,
  task: (file: string) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'openfoundry-perf-'));
  const file = join(dir, 'client.properties');
  const jaas = `org.apache.kafka.common.security.scram.ScramLoginModule required username="${connection.username}" password="${connection.password}";`;
  const properties: Properties = {
    'security.protocol': 'SASL_PLAINTEXT',
    'sasl.mechanism': 'SCRAM-SHA-512',
    'sasl.jaas.config': jaas,
    ...extra,
  };
  const text = Object.entries(properties)
    .map(([key, value]) => `${key}=${String(value).replaceAll('\\', '\\\\')}`)
    .join('\n');
  writeFileSync(file, `${text}\n`, { mode: 0o600 });
  return task(file).finally(() => rmSync(dir, { recursive: true, force: true }));
}

async function runTool(mainClass: string, args: string[], timeoutMs: number): Promise<string> {
  const tools = await ensureKafkaPerfTools();
  const result = await runLoose(tools.java, ['-Xmx512m', '-cp', `${tools.libsDir}/*`, mainClass, ...args], {
    timeoutMs,
    what: mainClass,
  });
  if (result.code !== 0) {
    const output = `${result.stdout}${result.stderr}`.trim().split('\n').slice(-20).join('\n');
    throw new Error(`${mainClass} exited with ${result.code}:\n${output}`);
  }
  return result.stdout;
}

export interface ProducerPerfOptions {
  topic: string;
  numRecords: number;
  /** Bytes per record value. */
  recordSize: number;
  /** Records per second to aim at; -1 for as fast as possible. */
  throughput: number;
  /** Producer settings, e.g. { acks: 'all', 'linger.ms': 5 }; acks=all and idempotence are the defaults here. */
  producerProps?: Properties;
  connection?: PerfConnection;
  timeoutMs?: number;
}

export interface ProducerPerfResult {
  records: number;
  recordsPerSec: number;
  /** As the tool reports it: MiB (2^20 bytes) per second, labelled "MB/sec". */
  mbPerSec: number;
  avgLatencyMs: number;
  maxLatencyMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
  output: string;
}

const SUMMARY =
  /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th/;

export function parseProducerPerfOutput(output: string): Omit<ProducerPerfResult, 'output'> {
  const match = SUMMARY.exec(output);
  if (!match) throw new Error(`no summary line in ProducerPerformance output:\n${output.slice(-2000)}`);
  const n = (i: number) => Number(match[i]);
  return {
    records: n(1),
    recordsPerSec: n(2),
    mbPerSec: n(3),
    avgLatencyMs: n(4),
    maxLatencyMs: n(5),
    p50Ms: n(6),
    p95Ms: n(7),
    p99Ms: n(8),
    p999Ms: n(9),
  };
}

/** Runs org.apache.kafka.tools.ProducerPerformance; the topic must exist (auto-creation is off). */
export async function runProducerPerfTest(options: ProducerPerfOptions): Promise<ProducerPerfResult> {
  const connection = options.connection ?? defaultConnection();
  const props: Properties = { acks: 'all', 'enable.idempotence': true, ...options.producerProps };
  const output = await withClientConfig(connection, {}, (config) =>
    runTool(
      'org.apache.kafka.tools.ProducerPerformance',
      [
        '--bootstrap-server',
        connection.bootstrapServers,
        '--topic',
        options.topic,
        '--num-records',
        String(options.numRecords),
        '--record-size',
        String(options.recordSize),
        '--throughput',
        String(options.throughput),
        '--command-config',
        config,
        '--command-property',
        ...Object.entries(props).map(([key, value]) => `${key}=${value}`),
      ],
      options.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS,
    ),
  );
  return { ...parseProducerPerfOutput(output), output };
}

export interface ConsumerPerfOptions {
  topic: string;
  /** How many records to read before stopping. */
  messages: number;
  group: string;
  /** Milliseconds without a record after which the tool gives up (its --timeout). */
  idleTimeoutMs?: number;
  consumerProps?: Properties;
  connection?: PerfConnection;
  timeoutMs?: number;
}

export interface ConsumerPerfResult {
  records: number;
  recordsPerSec: number;
  mb: number;
  mbPerSec: number;
  rebalanceMs: number;
  fetchMs: number;
  /** Rates over the fetch time only, i.e. without the group join. */
  fetchRecordsPerSec: number;
  fetchMbPerSec: number;
  output: string;
}

/** The tool prints a CSV header and one row; the header names tell the columns apart. */
export function parseConsumerPerfOutput(output: string): Omit<ConsumerPerfResult, 'output'> {
  const lines = output.split('\n').map((line) => line.trim());
  const headerAt = lines.findIndex((line) => line.startsWith('start.time'));
  const header = lines[headerAt]?.split(',').map((h) => h.trim());
  const row = lines[headerAt + 1]?.split(',').map((v) => v.trim());
  if (!header || !row || row.length !== header.length) {
    throw new Error(`no result row in ConsumerPerformance output:\n${output.slice(-2000)}`);
  }
  const get = (name: string) => {
    const value = Number(row[header.indexOf(name)]);
    if (!header.includes(name) || Number.isNaN(value))
      throw new Error(`ConsumerPerformance output lacks ${name}`);
    return value;
  };
  return {
    records: get('data.consumed.in.nMsg'),
    recordsPerSec: get('nMsg.sec'),
    mb: get('data.consumed.in.MB'),
    mbPerSec: get('MB.sec'),
    rebalanceMs: get('rebalance.time.ms'),
    fetchMs: get('fetch.time.ms'),
    fetchRecordsPerSec: get('fetch.nMsg.sec'),
    fetchMbPerSec: get('fetch.MB.sec'),
  };
}

/** Runs org.apache.kafka.tools.ConsumerPerformance from the earliest offset with its own group. */
export async function runConsumerPerfTest(options: ConsumerPerfOptions): Promise<ConsumerPerfResult> {
  const connection = options.connection ?? defaultConnection();
  const output = await withClientConfig(
    connection,
    { 'auto.offset.reset': 'earliest', ...options.consumerProps },
    (config) =>
      runTool(
        'org.apache.kafka.tools.ConsumerPerformance',
        [
          '--bootstrap-server',
          connection.bootstrapServers,
          '--topic',
          options.topic,
          '--num-records',
          String(options.messages),
          '--group',
          options.group,
          '--timeout',
          String(options.idleTimeoutMs ?? 30_000),
          '--command-config',
          config,
        ],
        options.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS,
      ),
  );
  return { ...parseConsumerPerfOutput(output), output };
}

/** Installs the tools if needed and runs both against a scratch topic, then deletes it. */
async function smokeTest(): Promise<void> {
  const log = (message: string) => console.error(`[perf-tool] ${message}`);
  const started = Date.now();
  const tools = await ensureKafkaPerfTools(log);
  log(
    `kafka-tools ${tools.version} ready in ${((Date.now() - started) / 1000).toFixed(1)}s (${tools.libsDir})`,
  );
  const env = readPlatformEnv();
  const topics = new BenchTopics({
    brokers: env.OPENFOUNDRY_KAFKA_BROKERS.split(','),
    username: env.OPENFOUNDRY_KAFKA_ADMIN_USER,
    password: env.OPENFOUNDRY_KAFKA_ADMIN_PASSWORD,
  });
  const numRecords = Number(process.argv[2] ?? 100_000);
  try {
    const topic = await topics.create(`bench.kafka-perf-tool.${Date.now().toString(36)}`, 6);
    const produced = await runProducerPerfTest({ topic, numRecords, recordSize: 1024, throughput: -1 });
    const { output: _p, ...producer } = produced;
    console.log('ProducerPerformance', producer);
    const consumed = await runConsumerPerfTest({
      topic,
      messages: numRecords,
      group: topics.group(`${topic}.perf`),
    });
    const { output: _c, ...consumer } = consumed;
    console.log('ConsumerPerformance', consumer);
  } finally {
    for (const problem of await topics.cleanup()) log(`cleanup: ${problem}`);
    await topics.close();
  }
}

if (import.meta.main) {
  smokeTest().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error((error as Error).message);
      process.exit(1);
    },
  );
}
