import { platformRegistry, type Registry } from '@openfoundry/bus-registry';
import { CredentialStore, provision } from '@openfoundry/bus-registry/provision';
import { readPlatformEnv } from '@openfoundry/infra-local';
import { DataBus } from './data-bus.ts';

let provisioned: Promise<unknown> | undefined;

/**
 * The data bus as one platform service on the local platform, with that service's own
 * credentials: how tests and benches write or read a topic as its owner or declared consumer.
 * The platform registry is provisioned first (once per process; idempotent).
 */
export async function localDataBus(
  service: string,
  registry: Registry = platformRegistry,
  options: { compression?: 'zstd' | 'none' } = {},
): Promise<DataBus> {
  if (registry === platformRegistry) {
    provisioned ??= provision(platformRegistry);
    await provisioned;
  }
  const credentials = new CredentialStore().get(service);
  return DataBus.connect({
    service,
    brokers: readPlatformEnv().OPENFOUNDRY_KAFKA_BROKERS.split(','),
    username: credentials.kafka.username,
    password: credentials.kafka.password,
    registry,
    ...options,
  });
}
