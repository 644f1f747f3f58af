import { loadConfig, readPlatformEnv, serviceManifests } from '@openfoundry/infra-local';
import type { Registry } from '../model.ts';
import { assertValidRegistry } from '../validate.ts';
import { CredentialStore } from './credentials.ts';
import {
  deprovisionKafka,
  type KafkaProvisionOptions,
  type KafkaProvisionReport,
  provisionKafka,
} from './kafka.ts';
import { deprovisionNats, type NatsProvisionReport, PLATFORM_SCOPE, provisionNats } from './nats.ts';

export { CREDENTIAL_ENV, CredentialStore, credentialEnv, type ServiceCredentials } from './credentials.ts';
export {
  deprovisionKafka,
  kafkaAcls,
  kafkaServices,
  principalOf,
  provisionKafka,
  topicConfigs,
} from './kafka.ts';

export interface ProvisionOptions {
  /** Whose NATS users these are: `platform`, or a test's own scope. */
  scope?: string;
  /** The services that exist; defaults to the names in services/*\/service.json. */
  services?: readonly string[];
  credentials?: CredentialStore;
}

export interface ProvisionReport {
  kafka: KafkaProvisionReport;
  nats: NatsProvisionReport;
}

/** The service names of the local checkout's manifests. */
export function manifestServices(): string[] {
  return serviceManifests(loadConfig().servicesDir).map((m) => m.name);
}

function kafkaOptions(services: readonly string[], credentials: CredentialStore): KafkaProvisionOptions {
  const env = readPlatformEnv();
  return {
    bootstrap: env.OPENFOUNDRY_KAFKA_BROKERS.split(',')[0] ?? '127.0.0.1:9092',
    admin: { username: env.OPENFOUNDRY_KAFKA_ADMIN_USER, password: env.OPENFOUNDRY_KAFKA_ADMIN_PASSWORD },
    credentials,
    services,
  };
}

/**
 * Validates a registry and makes the running local brokers match it: topics, streams, consumers,
 * and each service's own credentials and permissions.
 */
export async function provision(
  registry: Registry,
  options: ProvisionOptions = {},
): Promise<ProvisionReport> {
  const services = options.services ?? manifestServices();
  assertValidRegistry(registry, services);
  const credentials = options.credentials ?? new CredentialStore();
  const kafka = await provisionKafka(registry, kafkaOptions(services, credentials));
  const nats = await provisionNats(registry, {
    scope: options.scope ?? PLATFORM_SCOPE,
    services,
    credentials,
  });
  return { kafka, nats };
}

/** Removes what provision() made for a registry (tests clean up their fixture registries with it). */
export async function deprovision(registry: Registry, options: ProvisionOptions = {}): Promise<void> {
  const services = options.services ?? manifestServices();
  const credentials = options.credentials ?? new CredentialStore();
  await deprovisionKafka(registry, kafkaOptions(services, credentials));
  await deprovisionNats(options.scope ?? PLATFORM_SCOPE, { services, credentials, registry });
}
