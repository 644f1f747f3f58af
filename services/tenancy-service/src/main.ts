import { bootstrapService } from '@openfoundry/service-kit';
import { tenancyService } from './service.ts';

await bootstrapService(tenancyService);
