import { bootstrapService } from '@openfoundry/service-kit';
import { liveService } from './service.ts';

await bootstrapService(liveService);
