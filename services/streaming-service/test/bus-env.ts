import type { AssetEvent } from '@openfoundry/bus-registry';
import { platformRegistry, topics } from '@openfoundry/bus-registry';
import { CredentialStore, credentialEnv, provision } from '@openfoundry/bus-registry/provision';
import { localDataBus } from '@openfoundry/event-bus-data/testing';
import { readPlatformEnv } from '@openfoundry/infra-local';

let provisioned: Promise<unknown> | undefined;

const ensureProvisioned = async () => {
  provisioned ??= provision(platformRegistry);
  await provisioned;
};

/** The bus settings streaming-service runs with on the local platform (registry provisioned first). */
export async function busEnv(): Promise<Record<string, string>> {
  await ensureProvisioned();
  const env = readPlatformEnv();
  return {
    OPENFOUNDRY_KAFKA_BROKERS: env.OPENFOUNDRY_KAFKA_BROKERS,
    ...credentialEnv(new CredentialStore().get('streaming-service')),
  };
}

/** Publishes to the asset stream as connector-service, its owner, the way a connector does. */
export async function assetStreamWriter() {
  const bus = await localDataBus('connector-service');
  const publisher = bus.publisher(topics.assetEvents, { job: 'connector-service.test-writer' });
  return {
    publish: (events: AssetEvent[]) =>
      publisher.publishMany(events.map((value) => ({ key: `${value.tenant}/${value.assetId}`, value }))),
    close: () => bus.close(),
  };
}
