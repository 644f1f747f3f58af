import { randomBytes, randomUUID } from 'node:crypto';
import {
  type AssetEvent,
  type DeviceSpec,
  platformRegistry,
  subjects,
  topics,
} from '@openfoundry/bus-registry';
import { CredentialStore, credentialEnv, provision } from '@openfoundry/bus-registry/provision';
import { type ReadRecord, readTopic } from '@openfoundry/bus-registry/testing';
import { ControlBus } from '@openfoundry/event-bus-control';
import { readPlatformEnv } from '@openfoundry/infra-local';
import { createTestApp, type TestApp } from '@openfoundry/service-kit/testing';
import { DeviceManager } from '../src/devices/device-manager.ts';
import { connectorService, withConnectorDefaults } from '../src/service.ts';

/** Records these tests look for were written after this (a minute of slack for clock skew). */
const testsStarted = new Date(Date.now() - 60_000);

let provisioned: Promise<unknown> | undefined;

/** Bus settings of a service on the local platform, after making sure the registry is provisioned. */
export async function busEnv(service = 'connector-service'): Promise<Record<string, string>> {
  provisioned ??= provision(platformRegistry);
  await provisioned;
  const env = readPlatformEnv();
  return {
    OPENFOUNDRY_KAFKA_BROKERS: env.OPENFOUNDRY_KAFKA_BROKERS,
    OPENFOUNDRY_NATS_URL: env.OPENFOUNDRY_NATS_URL,
    ...credentialEnv(new CredentialStore().get(service)),
  };
}

export const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

export const INGEST_TOKENS = { acme: 'test-acme-token', globex: 'test-globex-token' };

export interface Connector {
  app: TestApp<typeof connectorService.configSchema>;
  replica: string;
  url: string;
  close(): Promise<void>;
}

/** A connector replica in this process, listening on a free loopback port. */
export async function startConnector(env: Record<string, string> = {}): Promise<Connector> {
  const replica = unique('test-replica');
  const app = await createTestApp(connectorService, {
    env: withConnectorDefaults({
      ...(await busEnv()),
      CONNECTOR_REPLICA_ID: replica,
      CONNECTOR_INGEST_TOKENS: Object.entries(INGEST_TOKENS)
        .map(([tenant, token]) => `${token}=${tenant}`)
        .join(','),
      CONNECTOR_HEARTBEAT_INTERVAL_MS: '200',
      // A coordinator running on this machine's platform must not lease its devices to test replicas.
      CONNECTOR_ACCEPTING: 'false',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      ...env,
    }),
  });
  await app.app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.app.getHttpServer().address() as { port: number };
  return { app, replica, url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}

/** The coordinator's side of the contract, played over real NATS as connector-management-service. */
export class FakeCoordinator {
  // Above any version a coordinator running on this machine's platform has reached, so an
  // assignment it sends a test replica is ignored as older.
  private version = Date.now();
  private constructor(readonly bus: ControlBus) {}

  static async connect(): Promise<FakeCoordinator> {
    const env = await busEnv('connector-management-service');
    const bus = await ControlBus.connect({
      service: 'connector-management-service',
      servers: env.OPENFOUNDRY_NATS_URL as string,
      user: env.OPENFOUNDRY_NATS_USER as string,
      password: env.OPENFOUNDRY_NATS_PASSWORD as string,
      registry: platformRegistry,
    });
    return new FakeCoordinator(bus);
  }

  assign(replica: string, devices: DeviceSpec[], version = ++this.version) {
    this.version = Math.max(this.version, version);
    return this.send(() =>
      this.bus.request(subjects.connectorAssign, {
        tokens: { replica },
        value: { replica, version, devices },
        timeoutMs: 15_000,
      }),
    );
  }

  command(
    replica: string,
    command: {
      tenant: string;
      assetId: string;
      action: 'write' | 'call' | 'publish';
      target: string;
      arguments?: unknown;
    },
    deadline = new Date(Date.now() + 10_000),
  ) {
    const value = {
      commandId: randomUUID(),
      requester: 'test',
      deadline: deadline.toISOString(),
      arguments: null,
      ...command,
    };
    return this.send(() =>
      this.bus.request(subjects.connectorCommand, { tokens: { replica }, value, timeoutMs: 15_000 }),
    );
  }

  /**
   * event-bus-control answers `connector.{replica}.*` in one queue group per service, so while
   * other connector-service replicas run on this NATS (a developer's platform), a request can
   * reach one of them; it refuses, and the request is sent again.
   */
  async send<R>(request: () => Promise<R>): Promise<R> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await request();
      } catch (error) {
        if (attempt >= 30 || !/received a request for/.test((error as Error).message)) throw error;
      }
    }
  }

  close() {
    return this.bus.close();
  }
}

/** A device spec with defaults; `points` and the rest as given. */
export function deviceSpec(
  overrides: Partial<DeviceSpec> & Pick<DeviceSpec, 'tenant' | 'protocol'>,
): DeviceSpec {
  return { id: unique('dev'), points: [], revision: 1, ...overrides } as DeviceSpec;
}

/**
 * Reads the asset stream from the beginning until the events that `match` satisfy `enough`
 * (by default: `count` of them); returns those events, in stream order per partition.
 */
export async function assetEvents(
  match: (event: AssetEvent) => boolean,
  enough: number | ((events: AssetEvent[]) => boolean),
): Promise<(AssetEvent & { key: string })[]> {
  const done = typeof enough === 'number' ? (events: AssetEvent[]) => events.length >= enough : enough;
  const pick = (rs: ReadRecord[]) =>
    rs
      .filter((r) => match(r.value as AssetEvent))
      .map((r) => ({ ...(r.value as AssetEvent), key: r.key ?? '' }));
  return pick(
    await readTopic(topics.assetEvents.name, (rs) => done(pick(rs)), 90_000, { since: testsStarted }),
  );
}

/** The first `count` asset events of a tenant. */
export function assetEventsOf(tenant: string, count: number) {
  return assetEvents((e) => e.tenant === tenant, count);
}

/** Reads the device dead-letter topic until `count` letters whose source mentions `marker` are there. */
export async function deadLettersOf(marker: string, count: number): Promise<ReadRecord[]> {
  const records = await readTopic(
    topics.deviceDeadLetters.name,
    (rs) => rs.filter((r) => r.headers['dlq-source']?.includes(marker)).length >= count,
    90_000,
    { since: testsStarted },
  );
  return records.filter((r) => r.headers['dlq-source']?.includes(marker));
}

export async function eventually<T>(probe: () => T | Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await probe();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Resolves with the device's runtime once the replica reports it online. */
export function deviceOnline(connector: Connector, tenant: string, id: string) {
  return eventually(() => {
    const runtime = connector.app.app.get(DeviceManager).get(tenant, id);
    if (runtime?.status !== 'online') throw new Error('offline');
    return runtime;
  });
}
