import { type AssetEvent, assetKey, platformRegistry, topics } from '@openfoundry/bus-registry';
import { CredentialStore, credentialEnv, provision } from '@openfoundry/bus-registry/provision';
import { localDataBus } from '@openfoundry/event-bus-data/testing';
import { readPlatformEnv } from '@openfoundry/infra-local';

let provisioned: Promise<unknown> | undefined;

async function ensureProvisioned(): Promise<void> {
  provisioned ??= provision(platformRegistry);
  await provisioned;
}

/** The bus settings live-service runs with on the local platform (registry provisioned, idempotent). */
export async function busEnv(): Promise<Record<string, string>> {
  await ensureProvisioned();
  const env = readPlatformEnv();
  return {
    OPENFOUNDRY_KAFKA_BROKERS: env.OPENFOUNDRY_KAFKA_BROKERS,
    OPENFOUNDRY_NATS_URL: env.OPENFOUNDRY_NATS_URL,
    ...credentialEnv(new CredentialStore().get('live-service')),
  };
}

/** Writes asset events to the asset stream as the connector-service principal, the topic's owner. */
export async function connectorPublisher(): Promise<{
  publish(events: readonly AssetEvent[]): Promise<void>;
  close(): Promise<void>;
}> {
  const bus = await localDataBus('connector-service');
  const publisher = bus.publisher(topics.assetEvents, { job: 'live-service.test' });
  return {
    async publish(events) {
      await publisher.publishMany(
        events.map((value) => ({ key: assetKey(value.tenant, value.assetId), value, timestamp: new Date() })),
      );
    },
    close: () => bus.close(),
  };
}
