import { randomBytes } from 'node:crypto';
import { readPlatformEnv } from '@openfoundry/infra-local';
import type { Registry } from './model.ts';
import { CredentialStore, type ServiceCredentials } from './provision/credentials.ts';
import { deprovision, provision } from './provision/index.ts';

/**
 * Fixture registries for integration tests: unique service names per test file, so tests can
 * provision their own topics, streams and principals on the shared local brokers and remove them.
 */
export function fixtureServices<const R extends string>(roles: readonly R[]): Record<R, string> {
  const run = `t${randomBytes(3).toString('hex')}`;
  return Object.fromEntries(roles.map((role) => [role, `${run}${role}-service`])) as Record<R, string>;
}

export interface Fixture {
  registry: Registry;
  services: string[];
  credentials(service: string): ServiceCredentials;
  /** Kafka bootstrap and NATS URL of the local platform. */
  kafkaBrokers: string[];
  natsUrl: string;
  teardown(): Promise<void>;
}

export async function provisionFixture(registry: Registry, services: readonly string[]): Promise<Fixture> {
  const store = new CredentialStore();
  // A scope of its own, so the fixture's NATS users never replace the platform's.
  const scope = `test-${randomBytes(4).toString('hex')}`;
  await provision(registry, { services, credentials: store, scope });
  const env = readPlatformEnv();
  return {
    registry,
    services: [...services],
    credentials: (service) => store.get(service),
    kafkaBrokers: env.OPENFOUNDRY_KAFKA_BROKERS.split(','),
    natsUrl: env.OPENFOUNDRY_NATS_URL,
    teardown: () => deprovision(registry, { services, credentials: store, scope }),
  };
}

export interface ReadRecord {
  key: string | undefined;
  value: unknown;
  headers: Record<string, string>;
  partition: number;
  offset: bigint;
}

/**
 * Reads a topic as the platform admin until `done` says enough (or the time runs out): how a
 * test checks what a service really put on the data bus. From the beginning, or with `since` from
 * the first record written at or after that time (a long-lived shared topic need not be read whole).
 */
export async function readTopic(
  topicName: string,
  done: (records: ReadRecord[]) => boolean,
  timeoutMs = 30_000,
  options: { since?: Date } = {},
): Promise<ReadRecord[]> {
  const { Consumer } = await import('@platformatic/kafka');
  const env = readPlatformEnv();
  const consumer = new Consumer({
    clientId: 'openfoundry-test-reader',
    groupId: `openfoundry-test-reader-${randomBytes(4).toString('hex')}`,
    bootstrapBrokers: env.OPENFOUNDRY_KAFKA_BROKERS.split(','),
    sasl: {
      mechanism: 'SCRAM-SHA-512',
      username: env.OPENFOUNDRY_KAFKA_ADMIN_USER,
      password: env.OPENFOUNDRY_KAFKA_ADMIN_PASSWORD,
    },
  });
  const records: ReadRecord[] = [];
  try {
    let start:
      | { mode: 'earliest' }
      | { mode: 'manual'; offsets: { topic: string; partition: number; offset: bigint }[] } = {
      mode: 'earliest',
    };
    if (options.since) {
      // The ends first, then the offsets by time: a partition with nothing written since then
      // answers -1 and starts at the end listed before, so a record written between the two
      // requests is still read (listing both at once could start past it).
      const latest = await consumer.listOffsets({ topics: [topicName] });
      const atTime = await consumer.listOffsets({
        topics: [topicName],
        timestamp: BigInt(options.since.getTime()),
      });
      const ends = latest.get(topicName) ?? [];
      const offsets = (atTime.get(topicName) ?? []).map((offset, partition) => ({
        topic: topicName,
        partition,
        offset: offset >= 0n ? offset : (ends[partition] ?? 0n),
      }));
      start = { mode: 'manual', offsets };
    }
    const stream = await consumer.consume({ topics: [topicName], ...start, autocommit: false });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      stream.on(
        'data',
        (m: {
          key?: Buffer;
          value?: Buffer;
          headers: Map<Buffer, Buffer>;
          partition: number;
          offset: bigint;
        }) => {
          const text = m.value?.toString('utf8') ?? '';
          let value: unknown = text;
          try {
            value = JSON.parse(text);
          } catch {}
          records.push({
            key: m.key?.toString('utf8'),
            value,
            headers: Object.fromEntries([...m.headers].map(([k, v]) => [k.toString(), v.toString()])),
            partition: m.partition,
            offset: m.offset,
          });
          if (done(records)) {
            clearTimeout(timer);
            resolve();
          }
        },
      );
    });
    await stream.close();
  } finally {
    await consumer.close(true).catch(() => {});
  }
  return records;
}

export interface WatchedMessage {
  subject: string;
  value: unknown;
  headers: Record<string, string>;
}

/** Subscribes as the platform admin to a NATS subject pattern and collects what arrives. */
export async function watchSubject(
  pattern: string,
): Promise<{ messages: WatchedMessage[]; stop(): Promise<void> }> {
  const { connect } = await import('@nats-io/transport-node');
  const env = readPlatformEnv();
  const nc = await connect({
    servers: env.OPENFOUNDRY_NATS_URL,
    user: env.OPENFOUNDRY_NATS_ADMIN_USER,
    pass: env.OPENFOUNDRY_NATS_ADMIN_PASSWORD,
  });
  const messages: WatchedMessage[] = [];
  const sub = nc.subscribe(pattern, {
    callback: (_error, msg) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of msg.headers ?? []) headers[k] = v.join(',');
      let value: unknown = msg.string();
      try {
        value = msg.json();
      } catch {}
      messages.push({ subject: msg.subject, value, headers });
    },
  });
  await nc.flush();
  return {
    messages,
    async stop() {
      sub.unsubscribe();
      await nc.drain();
    },
  };
}
