import { defineRegistry, stream, subject, topic } from './model.ts';
import { tenantChangedSchema, tenantStateSchema } from './schemas/tenancy.ts';

// The platform's bus registry: every Kafka topic, NATS subject and JetStream stream a service
// uses. `npm run bus -- provision` creates them, and the credentials and permissions of every
// service, from this file; bus-lint checks the code against it.

export const topics = {
  /** Durable tenant changes (ADR 0005 row D2), compacted to the latest state per tenant. */
  tenantState: topic({
    name: 'tenancy.tenant-state.v1',
    owner: 'tenancy-service',
    kind: 'state-change',
    description: 'Every tenant change as the tenant stands afterwards, keyed by tenant id.',
    schema: tenantStateSchema,
    partitions: 3,
    retentionMs: -1,
    cleanupPolicy: 'compact',
  }),
} as const;

export const streams = {
  tenancy: stream({
    name: 'TENANCY',
    owner: 'tenancy-service',
    description: 'Signals about tenants, kept for a week.',
  }),
} as const;

export const subjects = {
  /** Tenant lifecycle signals (ADR 0005 row C2), tenant id as the second token. */
  tenantChanged: subject({
    name: 'tenancy.{tenant}.tenant.changed',
    owner: 'tenancy-service',
    kind: 'signal',
    description: 'A tenant was created, updated or deleted.',
    schema: tenantChangedSchema,
    stream: 'TENANCY',
  }),
} as const;

export const platformRegistry = defineRegistry({
  topics: Object.values(topics),
  subjects: Object.values(subjects),
  streams: Object.values(streams),
});
