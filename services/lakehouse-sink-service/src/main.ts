import { bootstrapService } from '@openfoundry/service-kit';
import { lakehouseSinkService } from './service.ts';

await bootstrapService(lakehouseSinkService);
