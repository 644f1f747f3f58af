import { bootstrapService } from '@openfoundry/service-kit';
import { connectorManagementService } from './service.ts';

await bootstrapService(connectorManagementService);
