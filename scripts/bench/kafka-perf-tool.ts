/**
 * Kafka's own load generators (kafka-producer-perf-test, kafka-consumer-perf-test) run on the
 * platform's JDK against the local broker, so our library's figures can be printed next to the
 * reference Java client's. Run directly, it installs the tools and smoke-tests them on a scratch topic.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, readPlatformEnv } from '@openfoundry/infra-local';
import { BenchTopics } from './kafka-clients/topics.ts';

/**
 * Maven Central does not publish org.apache.kafka:kafka-tools for 4.4.0, the broker's version; 4.3.1
 * is the newest it serves. Its clients speak the same protocol versions to a 4.4 broker.
 */
export const KAFKA_TOOLS_VERSION = '4.3.1';

const ARTIFACTS = [
  `org.apache.kafka:kafka-tools:${KAFKA_TOOLS_VERSION}`,
  // The tools log through slf4j 1.7 without a binding; this one keeps stderr free of its warnings.
  'org.slf4j:slf4j-nop:1.7.36',
];
const INSTALL_TIMEOUT_MS = 15 * 60_000;
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

function pom(): string {
  const deps = ARTIFACTS.map((coordinates) => {
    const [groupId, artifactId, version] = coordinates.split(':');
    return `    <dependency><groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId><version>${version}</version></dependency>`;
  }).join('\n');
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.openfoundry.bench</groupId>
  <artifactId>kafka-perf-tools</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
${deps}
  </dependencies>
</project>
`;
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runProcess(
  cmd: string,
  args: string[],
  options: { cwd?: string; timeoutMs: number },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} could not start: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') reject(new Error(`${cmd} killed after ${options.timeoutMs / 1000}s`));
      else resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Resolves kafka-tools and its runtime closure from Maven Central into the cache once; later calls
 * find the jars and return at once. The jars land in a staging folder first, so an interrupted
 * download never looks installed.
 */
export async function ensureKafkaPerfTools(log: Log = () => {}): Promise<KafkaPerfTools> {
  const dir = toolsDir();
  const libsDir = join(dir, 'libs');
  const java = readPlatformEnv().OPENFOUNDRY_JAVA;
  if (installed(libsDir)) return { version: KAFKA_TOOLS_VERSION, libsDir, java };

  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'pom.xml'), pom());
  const staging = `${libsDir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const started = Date.now();
  log(`installing kafka-tools ${KAFKA_TOOLS_VERSION} from Maven Central into ${dir} …`);
  const result = await runProcess(
    'mvn',
    [
      '-B',
      '-q',
      `-Dmaven.repo.local=${join(loadConfig().cacheDir, 'm2')}`,
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${staging}`,
    ],
    { cwd: dir, timeoutMs: INSTALL_TIMEOUT_MS },
  ).catch((error: Error) => ({ code: -1, stdout: '', stderr: error.message }));
  if (result.code !== 0) {
    rmSync(staging, { recursive: true, force: true });
    const output = `${result.stdout}${result.stderr}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(
      `mvn could not resolve ${ARTIFACTS.join(', ')} (needs mvn and Maven Central):\n${output}`,
    );
  }
  // Another process may have finished the same install meanwhile; either copy is complete.
  if (installed(libsDir)) rmSync(staging, { recursive: true, force: true });
  else {
    rmSync(libsDir, { recursive: true, force: true });
    renameSync(staging, libsDir);
  }
  log(`kafka-tools ${KAFKA_TOOLS_VERSION} installed in ${((Date.now() - started) / 1000).toFixed(1)}s`);
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
  const result = await runProcess(tools.java, ['-Xmx512m', '-cp', `${tools.libsDir}/*`, mainClass, ...args], {
    timeoutMs,
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
