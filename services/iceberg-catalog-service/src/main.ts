import { bootstrapService } from '@openfoundry/service-kit';
import { icebergCatalogService } from './service.ts';

await bootstrapService(icebergCatalogService);
