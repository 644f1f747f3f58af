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
  await provision(registry, { services, credentials: store });
  const env = readPlatformEnv();
  return {
    registry,
    services: [...services],
    credentials: (service) => store.get(service),
    kafkaBrokers: env.OPENFOUNDRY_KAFKA_BROKERS.split(','),
    natsUrl: env.OPENFOUNDRY_NATS_URL,
    teardown: () => deprovision(registry, { services, credentials: store }),
  };
}
