import { platformRegistry, type Registry } from '@openfoundry/bus-registry';

/**
 * This repository's registry with every topic and subject handed to a service that does not
 * exist: any publish the code makes, through a bus or its outbox, then breaks `not-owner`.
 */
export const disownedRegistry: Registry = {
  ...platformRegistry,
  topics: platformRegistry.topics.map((t) => ({ ...t, owner: 'nobody-service' })),
  subjects: platformRegistry.subjects.map((s) => ({ ...s, owner: 'nobody-service' })),
};
