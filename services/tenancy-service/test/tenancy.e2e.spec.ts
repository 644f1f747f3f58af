import { topics } from '@openfoundry/bus-registry';
import { readTopic, watchSubject } from '@openfoundry/bus-registry/testing';
import { describe, expect, it } from 'vitest';
import { createTenantBody } from './factories.ts';

// Against the platform as `npm test` (or `npm start`) runs it: the supervisor gave the service its
// own bus credentials, and provisioning gave those credentials their permissions.
const url = process.env.OPENFOUNDRY_E2E_TENANCY_SERVICE_URL ?? 'http://127.0.0.1:4010';

describe('tenancy-service on the running platform', () => {
  it('announces a new tenant on both buses', async () => {
    const watch = await watchSubject('tenancy.*.tenant.changed');
    try {
      const response = await fetch(`${url}/tenants`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(createTenantBody({ name: 'End to end' })),
      });
      expect(response.status).toBe(201);
      const tenant = (await response.json()) as { id: string; slug: string };

      const records = await readTopic(topics.tenantState.name, (rs) => rs.some((r) => r.key === tenant.id));
      expect(records.find((r) => r.key === tenant.id)?.value).toMatchObject({
        slug: tenant.slug,
        deleted: false,
      });

      const deadline = Date.now() + 15_000;
      const mine = () => watch.messages.filter((m) => m.subject === `tenancy.${tenant.id}.tenant.changed`);
      while (mine().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(mine()[0]?.value).toMatchObject({ change: 'created', slug: tenant.slug });
    } finally {
      await watch.stop();
    }
  });
});
