import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';
import { cachePaths, HOST, javaPath, type PlatformConfig, statePaths } from '../config.ts';
import { InfraError } from '../errors.ts';
import { type MavenArtifact, mavenCopyDependencies, timed } from '../install.ts';
import { run } from '../process.ts';
import { KAFKA_VERSION, LOG4J_VERSION, MIN_JAVA_MAJOR } from '../versions.ts';
import { type Context, Daemon } from './server.ts';

const ARTIFACTS: MavenArtifact[] = [
  { groupId: 'org.apache.kafka', artifactId: 'kafka_2.13', version: KAFKA_VERSION },
  { groupId: 'org.apache.kafka', artifactId: 'kafka-storage', version: KAFKA_VERSION },
  // Kafka logs through slf4j 1.7; this binding routes it to log4j2 (console → our log file).
  { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-slf4j-impl', version: LOG4J_VERSION },
  { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-core', version: LOG4J_VERSION },
];

export const SCRAM_MECHANISMS = ['SCRAM-SHA-512', 'SCRAM-SHA-256'] as const;

export type Properties = Record<string, string | number | boolean>;

export function formatProperties(properties: Properties): string {
  const escapeValue = (value: string) => value.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
  return `${Object.entries(properties)
    .map(([key, value]) => `${key}=${escapeValue(String(value))}`)
    .join('\n')}\n`;
}

const jaas = (user: string, password: string) =>
  `org.apache.kafka.common.security.scram.ScramLoginModule required username="${user}" password="${password}";`;

/** Single-node KRaft (broker+controller): SASL/SCRAM for clients and inter-broker, plain loopback controller. */
export function serverProperties(config: PlatformConfig, logDir: string): Properties {
  const { kafka: kafkaPort, kafkaController, kafkaFault, kafkaFaultProxy } = config.ports;
  const { adminUser, adminPassword } = config.kafka;
  const properties: Properties = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@${HOST}:${kafkaController}`,
    // FAULT is the same broker seen through a TCP proxy that tests cut and restore: it binds one
    // port and advertises the proxy's, so clients that bootstrap through the proxy stay behind it.
    listeners: `SASL_PLAINTEXT://${HOST}:${kafkaPort},FAULT://${HOST}:${kafkaFault},CONTROLLER://${HOST}:${kafkaController}`,
    'advertised.listeners': `SASL_PLAINTEXT://${HOST}:${kafkaPort},FAULT://${HOST}:${kafkaFaultProxy}`,
    'listener.security.protocol.map':
      'SASL_PLAINTEXT:SASL_PLAINTEXT,FAULT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name': 'SASL_PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'sasl.enabled.mechanisms': SCRAM_MECHANISMS.join(','),
    'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    // The controller listener is unauthenticated loopback traffic, whose principal is ANONYMOUS.
    'super.users': `User:${adminUser};User:ANONYMOUS`,
    'allow.everyone.if.no.acl.found': false,
    'auto.create.topics.enable': false,
    'log.dirs': logDir,
    'num.partitions': 1,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    'offsets.topic.replication.factor': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
  };
  for (const listener of ['sasl_plaintext', 'fault']) {
    for (const mechanism of SCRAM_MECHANISMS) {
      properties[`listener.name.${listener}.${mechanism.toLowerCase()}.sasl.jaas.config`] = jaas(
        adminUser,
        adminPassword,
      );
    }
  }
  properties['listener.name.fault.sasl.enabled.mechanisms'] = SCRAM_MECHANISMS.join(',');
  return properties;
}

/** Client settings for the admin principal, usable with Kafka's own CLI tools (--command-config). */
export function adminClientProperties(config: PlatformConfig): Properties {
  return {
    'bootstrap.servers': `${HOST}:${config.ports.kafka}`,
    'security.protocol': 'SASL_PLAINTEXT',
    'sasl.mechanism': 'SCRAM-SHA-512',
    'sasl.jaas.config': jaas(config.kafka.adminUser, config.kafka.adminPassword),
  };
}

const LOG4J2 = formatProperties({
  'rootLogger.level': 'INFO',
  'rootLogger.appenderRef.stdout.ref': 'STDOUT',
  'appender.stdout.type': 'Console',
  'appender.stdout.name': 'STDOUT',
  'appender.stdout.layout.type': 'PatternLayout',
  'appender.stdout.layout.pattern': '[%d] %p %m (%c)%n',
  'logger.kafka.name': 'kafka',
  'logger.kafka.level': 'INFO',
  'logger.state.name': 'state.change.logger',
  'logger.state.level': 'WARN',
});

/** A Kafka cluster id: 16 random bytes, base64url, not starting with '-' (Kafka's own rule). */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

const libsDir = (config: PlatformConfig) => join(cachePaths(config).kafka(KAFKA_VERSION), 'libs');
const home = (config: PlatformConfig) => statePaths(config).kafkaHome;
const classpath = (config: PlatformConfig) => `${join(home(config), 'libs')}/*`;

export async function javaMajor(java: string): Promise<number | undefined> {
  try {
    const { stderr, stdout } = await run(java, ['-version']);
    const match = /version "(\d+)(?:\.(\d+))?/.exec(`${stderr}${stdout}`);
    if (!match) return undefined;
    const major = Number(match[1]);
    return major === 1 ? Number(match[2]) : major;
  } catch {
    return undefined;
  }
}

async function requireJava(): Promise<string> {
  const java = javaPath();
  const major = await javaMajor(java);
  if (major === undefined || major < MIN_JAVA_MAJOR) {
    throw new InfraError(
      `java ${MIN_JAVA_MAJOR}+ not found${major ? ` (${java} is ${major})` : ''}: apt-get install openjdk-17-jre-headless`,
    );
  }
  return java;
}

function writeHome(config: PlatformConfig): void {
  const dir = home(config);
  mkdirSync(dir, { recursive: true });
  const link = join(dir, 'libs');
  let current: string | undefined;
  try {
    current = readlinkSync(link);
  } catch {}
  if (current !== libsDir(config)) {
    rmSync(link, { recursive: true, force: true });
    symlinkSync(libsDir(config), link);
  }
  const logDir = statePaths(config).data('kafka');
  writeFileSync(join(dir, 'server.properties'), formatProperties(serverProperties(config, logDir)));
  writeFileSync(join(dir, 'admin.properties'), formatProperties(adminClientProperties(config)));
  writeFileSync(join(dir, 'log4j2.properties'), LOG4J2);
}

async function formatStorage(ctx: Context, java: string): Promise<void> {
  const logDir = statePaths(ctx.config).data('kafka');
  if (existsSync(join(logDir, 'meta.properties'))) return;
  const { adminUser, adminPassword } = ctx.config.kafka;
  const scram = SCRAM_MECHANISMS.flatMap((m) => [
    '--add-scram',
    `${m}=[name=${adminUser},password=${adminPassword}]`,
  ]);
  await timed(ctx.log, 'kafka: format storage', () =>
    run(
      java,
      [
        '-cp',
        classpath(ctx.config),
        `-Dlog4j2.configurationFile=${join(home(ctx.config), 'log4j2.properties')}`,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        newClusterId(),
        '-c',
        join(home(ctx.config), 'server.properties'),
        ...scram,
      ],
      { what: 'kafka storage format' },
    ),
  );
}

export function kafkaAdmin(config: PlatformConfig, password = config.kafka.adminPassword): Admin {
  return new Admin({
    clientId: 'openfoundry-infra',
    bootstrapBrokers: [`${HOST}:${config.ports.kafka}`],
    sasl: { mechanism: 'SCRAM-SHA-512', username: config.kafka.adminUser, password },
    retries: 0,
    timeout: 3000,
  });
}

export const kafka = new Daemon({
  name: 'kafka',
  ports: ['kafka', 'kafkaController', 'kafkaFault'],
  isOurs: (cmd) => cmd.includes('kafka.Kafka'),
  async install(ctx) {
    await requireJava();
    const libs = libsDir(ctx.config);
    if (existsSync(libs) && readdirSync(libs).some((f) => f.startsWith(`kafka_2.13-${KAFKA_VERSION}`)))
      return;
    await mavenCopyDependencies(
      ARTIFACTS,
      cachePaths(ctx.config).kafka(KAFKA_VERSION),
      libs,
      cachePaths(ctx.config).maven,
      ctx.log,
    );
  },
  async prepare(ctx) {
    writeHome(ctx.config);
    await formatStorage(ctx, await requireJava());
  },
  async command(ctx) {
    const dir = home(ctx.config);
    return {
      cmd: await requireJava(),
      args: [
        '-Xms256m',
        '-Xmx1g',
        '-XX:+UseG1GC',
        // C1 only: a broker that shares two cores with the platform should not spend seconds of
        // CPU after each start recompiling its hot paths with C2 (ADR 0030).
        '-XX:TieredStopAtLevel=1',
        '-Djava.awt.headless=true',
        `-Dlog4j2.configurationFile=${join(dir, 'log4j2.properties')}`,
        '-cp',
        classpath(ctx.config),
        'kafka.Kafka',
        join(dir, 'server.properties'),
      ],
      cwd: dir,
    };
  },
  async probe(ctx) {
    const admin = kafkaAdmin(ctx.config);
    try {
      const metadata = await admin.metadata({ topics: [] });
      return metadata.brokers.size > 0;
    } finally {
      await admin.close().catch(() => {});
    }
  },
  async version(ctx) {
    const libs = libsDir(ctx.config);
    const jar = existsSync(libs) ? readdirSync(libs).find((f) => /^kafka_2\.13-.*\.jar$/.test(f)) : undefined;
    return jar ? `kafka ${jar.replace(/^kafka_2\.13-|\.jar$/g, '')}` : 'kafka (not installed)';
  },
  endpoint: (ctx) => `sasl_plaintext://${HOST}:${ctx.config.ports.kafka}`,
  startTimeoutMs: 90_000,
});
