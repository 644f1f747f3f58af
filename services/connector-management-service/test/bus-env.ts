import { platformRegistry } from '@openfoundry/bus-registry';
import { CredentialStore, credentialEnv, provision } from '@openfoundry/bus-registry/provision';
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
