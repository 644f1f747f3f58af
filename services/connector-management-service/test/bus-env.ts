import { platformRegistry } from '@openfoundry/bus-registry';
import { CredentialStore, credentialEnv, provision } from '@openfoundry/bus-registry/provision';
import { ControlBus } from '@openfoundry/event-bus-control';
import { readPlatformEnv } from '@openfoundry/infra-local';

let provisioned: Promise<unknown> | undefined;

/**
 * The bus settings a service runs with on the local platform, after making sure the platform
 * registry is provisioned (idempotent; `npm test` has done it already).
 */
export async function busEnv(service = 'connector-management-service'): Promise<Record<string, string>> {
  provisioned ??= provision(platformRegistry);
  await provisioned;
  const env = readPlatformEnv();
  return {
    OPENFOUNDRY_KAFKA_BROKERS: env.OPENFOUNDRY_KAFKA_BROKERS,
    OPENFOUNDRY_NATS_URL: env.OPENFOUNDRY_NATS_URL,
    ...credentialEnv(new CredentialStore().get(service)),
  };
}

/** A control-bus connection with a platform service's identity, as that service connects. */
export async function controlBusAs(service: string): Promise<ControlBus> {
  const env = await busEnv(service);
  return ControlBus.connect({
    service,
    servers: env.OPENFOUNDRY_NATS_URL ?? '',
    user: env.OPENFOUNDRY_NATS_USER ?? '',
    password: env.OPENFOUNDRY_NATS_PASSWORD ?? '',
    registry: platformRegistry,
  });
}
