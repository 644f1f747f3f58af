import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InfraError } from './errors.ts';
import { DUCKDB_VERSION } from './versions.ts';

type Env = Record<string, string | undefined>;

export interface Ports {
  postgres: number;
  nats: number;
  natsMonitor: number;
  kafka: number;
  kafkaController: number;
  /** A second Kafka listener that advertises `kafkaFaultProxy`, where tests put a fault-injecting proxy. */
  kafkaFault: number;
  kafkaFaultProxy: number;
  s3: number;
  s3Console: number;
  redis: number;
  mqtt: number;
}

/** The env variable that overrides each port; also named in port-taken diagnoses. */
export const PORT_ENV: Record<keyof Ports, string> = {
  postgres: 'OPENFOUNDRY_PG_PORT',
  nats: 'OPENFOUNDRY_NATS_PORT',
  natsMonitor: 'OPENFOUNDRY_NATS_MONITOR_PORT',
  kafka: 'OPENFOUNDRY_KAFKA_PORT',
  kafkaController: 'OPENFOUNDRY_KAFKA_CONTROLLER_PORT',
  kafkaFault: 'OPENFOUNDRY_KAFKA_FAULT_PORT',
  kafkaFaultProxy: 'OPENFOUNDRY_KAFKA_FAULT_PROXY_PORT',
  s3: 'OPENFOUNDRY_S3_PORT',
  s3Console: 'OPENFOUNDRY_S3_CONSOLE_PORT',
  redis: 'OPENFOUNDRY_REDIS_PORT',
  mqtt: 'OPENFOUNDRY_MQTT_PORT',
};

const DEFAULT_PORTS: Ports = {
  postgres: 5432,
  nats: 4222,
  natsMonitor: 8222,
  kafka: 9092,
  kafkaController: 9093,
  kafkaFault: 9094,
  kafkaFaultProxy: 9095,
  s3: 9000,
  s3Console: 9001,
  redis: 6379,
  mqtt: 1883,
};

export const HOST = '127.0.0.1';

export interface PlatformConfig {
  repoRoot: string;
  stateDir: string;
  cacheDir: string;
  servicesDir: string;
  ports: Ports;
  pg: { user: string; password: string };
  kafka: { adminUser: string; adminPassword: string };
  /** The NATS user that administers streams and regenerates the other users; fixed for local dev. */
  nats: { adminUser: string; adminPassword: string };
  s3: { accessKey: string; secretKey: string; region: string; warehouseBucket: string };
}

/** The monorepo root: the nearest ancestor of this package holding a package.json with workspaces. */
export function repoRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
}

export function parsePort(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InfraError(`${name} must be a port number between 1 and 65535, got "${raw}"`);
  }
  return port;
}

export function loadConfig(env: Env = process.env): PlatformConfig {
  const root = repoRoot();
  const ports = Object.fromEntries(
    (Object.keys(DEFAULT_PORTS) as (keyof Ports)[]).map((key) => [
      key,
      parsePort(env, PORT_ENV[key], DEFAULT_PORTS[key]),
    ]),
  ) as unknown as Ports;
  const seen = new Map<number, keyof Ports>();
  for (const [key, port] of Object.entries(ports) as [keyof Ports, number][]) {
    const other = seen.get(port);
    if (other) throw new InfraError(`${PORT_ENV[key]} and ${PORT_ENV[other]} are both set to ${port}`);
    seen.set(port, key);
  }
  return {
    repoRoot: root,
    stateDir: resolve(env.OPENFOUNDRY_STATE || join(root, '.openfoundry')),
    cacheDir: resolve(env.OPENFOUNDRY_CACHE || join(env.HOME || homedir(), '.cache', 'openfoundry')),
    servicesDir: resolve(env.OPENFOUNDRY_SERVICES_DIR || join(root, 'services')),
    ports,
    pg: { user: 'openfoundry', password: 'openfoundry' },
    kafka: { adminUser: 'admin', adminPassword: 'admin-secret' },
    nats: { adminUser: 'openfoundry-admin', adminPassword: 'openfoundry-admin-secret' },
    s3: {
      accessKey: 'openfoundry',
      secretKey: 'openfoundry-secret',
      region: 'us-east-1',
      warehouseBucket: env.OPENFOUNDRY_S3_WAREHOUSE_BUCKET || 'warehouse',
    },
  };
}

export const statePaths = (config: PlatformConfig) => ({
  data: (server: string) => join(config.stateDir, 'data', server),
  log: (server: string) => join(config.stateDir, 'logs', `${server}.log`),
  pid: (server: string) => join(config.stateDir, 'run', `${server}.pid`),
  conf: (server: string) => join(config.stateDir, 'conf', server),
  kafkaHome: join(config.stateDir, 'kafka'),
  platformEnv: join(config.stateDir, 'platform.env'),
});

export const cachePaths = (config: PlatformConfig) => ({
  bin: join(config.cacheDir, 'bin'),
  go: join(config.cacheDir, 'go'),
  maven: join(config.cacheDir, 'm2'),
  kafka: (version: string) => join(config.cacheDir, `kafka-${version}`),
  duckdbWheels: join(config.cacheDir, 'duckdb-wheels'),
  duckdbExtensions: join(config.cacheDir, 'duckdb-extensions'),
});

const JAVA_CANDIDATES = ['/usr/bin/java', '/usr/lib/jvm/java-17-openjdk-amd64/bin/java'];

/** The java binary Kafka runs on: OPENFOUNDRY_JAVA, then JAVA_HOME, then the system one. */
export function javaPath(env: Env = process.env): string {
  if (env.OPENFOUNDRY_JAVA) return env.OPENFOUNDRY_JAVA;
  const candidates = [...(env.JAVA_HOME ? [join(env.JAVA_HOME, 'bin', 'java')] : []), ...JAVA_CANDIDATES];
  return candidates.find((path) => existsSync(path)) ?? 'java';
}

export interface PlatformEnv {
  OPENFOUNDRY_PG_ADMIN_URL: string;
  OPENFOUNDRY_PG_HOST: string;
  OPENFOUNDRY_PG_PORT: string;
  OPENFOUNDRY_NATS_URL: string;
  OPENFOUNDRY_NATS_ADMIN_USER: string;
  OPENFOUNDRY_NATS_ADMIN_PASSWORD: string;
  OPENFOUNDRY_KAFKA_BROKERS: string;
  OPENFOUNDRY_KAFKA_FAULT_PORT: string;
  OPENFOUNDRY_KAFKA_FAULT_PROXY_PORT: string;
  OPENFOUNDRY_KAFKA_SASL_MECHANISM: string;
  OPENFOUNDRY_KAFKA_ADMIN_USER: string;
  OPENFOUNDRY_KAFKA_ADMIN_PASSWORD: string;
  OPENFOUNDRY_S3_ENDPOINT: string;
  OPENFOUNDRY_S3_REGION: string;
  OPENFOUNDRY_S3_ACCESS_KEY: string;
  OPENFOUNDRY_S3_SECRET_KEY: string;
  OPENFOUNDRY_S3_WAREHOUSE_BUCKET: string;
  OPENFOUNDRY_REDIS_URL: string;
  OPENFOUNDRY_MQTT_URL: string;
  OPENFOUNDRY_DUCKDB_EXTENSION_DIR: string;
  OPENFOUNDRY_DUCKDB_VERSION: string;
  OPENFOUNDRY_JAVA: string;
  OPENFOUNDRY_KAFKA_HOME: string;
}

/** What clients need to reach the local platform, computed from the environment and defaults. */
export function platformEnv(env: Env = process.env): PlatformEnv {
  const config = loadConfig(env);
  const { ports, pg, s3, kafka, nats } = config;
  return {
    OPENFOUNDRY_PG_ADMIN_URL: `postgres://${pg.user}:${pg.password}@${HOST}:${ports.postgres}/postgres`,
    OPENFOUNDRY_PG_HOST: HOST,
    OPENFOUNDRY_PG_PORT: String(ports.postgres),
    OPENFOUNDRY_NATS_URL: `nats://${HOST}:${ports.nats}`,
    OPENFOUNDRY_NATS_ADMIN_USER: nats.adminUser,
    OPENFOUNDRY_NATS_ADMIN_PASSWORD: nats.adminPassword,
    OPENFOUNDRY_KAFKA_BROKERS: `${HOST}:${ports.kafka}`,
    OPENFOUNDRY_KAFKA_FAULT_PORT: String(ports.kafkaFault),
    OPENFOUNDRY_KAFKA_FAULT_PROXY_PORT: String(ports.kafkaFaultProxy),
    OPENFOUNDRY_KAFKA_SASL_MECHANISM: 'scram-sha-512',
    OPENFOUNDRY_KAFKA_ADMIN_USER: kafka.adminUser,
    OPENFOUNDRY_KAFKA_ADMIN_PASSWORD: kafka.adminPassword,
    OPENFOUNDRY_S3_ENDPOINT: `http://${HOST}:${ports.s3}`,
    OPENFOUNDRY_S3_REGION: s3.region,
    OPENFOUNDRY_S3_ACCESS_KEY: s3.accessKey,
    OPENFOUNDRY_S3_SECRET_KEY: s3.secretKey,
    OPENFOUNDRY_S3_WAREHOUSE_BUCKET: s3.warehouseBucket,
    OPENFOUNDRY_REDIS_URL: `redis://${HOST}:${ports.redis}`,
    OPENFOUNDRY_MQTT_URL: `mqtt://${HOST}:${ports.mqtt}`,
    OPENFOUNDRY_DUCKDB_EXTENSION_DIR: cachePaths(config).duckdbExtensions,
    OPENFOUNDRY_DUCKDB_VERSION: DUCKDB_VERSION,
    OPENFOUNDRY_JAVA: javaPath(env),
    OPENFOUNDRY_KAFKA_HOME: statePaths(config).kafkaHome,
  };
}

export function formatEnvFile(values: PlatformEnv): string {
  return `${Object.entries(values)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;
}

export function parseEnvFile(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) continue;
    result[trimmed.slice(0, eq)] = trimmed.slice(eq + 1);
  }
  return result;
}

/** Reads the platform.env that the last `up` wrote. */
export function readPlatformEnv(env: Env = process.env): PlatformEnv {
  const file = statePaths(loadConfig(env)).platformEnv;
  if (!existsSync(file)) {
    throw new InfraError(`${file} does not exist: run \`npm run infra -- up\` first`);
  }
  const values = parseEnvFile(readFileSync(file, 'utf8'));
  const expected = Object.keys(platformEnv(env)) as (keyof PlatformEnv)[];
  const missing = expected.filter((key) => values[key] === undefined);
  if (missing.length > 0) throw new InfraError(`${file} lacks ${missing.join(', ')}: run up again`);
  return Object.fromEntries(expected.map((key) => [key, values[key]])) as unknown as PlatformEnv;
}
