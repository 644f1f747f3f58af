import { createServiceApp } from '@openfoundry/service-kit';
import { tenancyService } from './service.ts';
import { DemoSeedService } from './tenants/demo-seed.service.ts';

// Provisions and migrates like the service does, seeds the demo tenants, and exits.
const service = await createServiceApp(tenancyService, { runOnReady: false });
try {
  const tenants = await service.app.get(DemoSeedService).seed();
  process.stdout.write(`seeded ${tenants.map((t) => t.slug).join(', ')}\n`);
} finally {
  await service.close();
}
