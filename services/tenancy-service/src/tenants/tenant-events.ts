import { subjects, topics } from '@openfoundry/bus-registry';
import type { OutboxEntry } from '@openfoundry/service-kit';
import type { Tenant } from './tenant.ts';

export type TenantChange = 'created' | 'updated' | 'deleted';

/**
 * What the rest of the platform hears about a tenant change: its new state on the data bus
 * (compacted per tenant, replayable) and a signal on the control bus for whoever reacts now.
 */
export function tenantEvents(tenant: Tenant, change: TenantChange, at: Date = new Date()): OutboxEntry[] {
  const fields = { tenantId: tenant.id, slug: tenant.slug, name: tenant.name, parentId: tenant.parentId };
  return [
    {
      topic: topics.tenantState,
      key: tenant.id,
      job: 'tenancy-service.tenant-changes',
      value: {
        ...fields,
        settings: tenant.settings,
        deleted: change === 'deleted',
        updatedAt: (change === 'deleted' ? at : tenant.updatedAt).toISOString(),
      },
    },
    {
      subject: subjects.tenantChanged,
      tokens: { tenant: tenant.id },
      value: { ...fields, change, at: at.toISOString() },
    },
  ] as OutboxEntry[];
}
