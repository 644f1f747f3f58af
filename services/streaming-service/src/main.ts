import { bootstrapService } from '@openfoundry/service-kit';
import { streamingService } from './service.ts';

await bootstrapService(streamingService);
