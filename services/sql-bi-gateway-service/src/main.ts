import { bootstrapService } from '@openfoundry/service-kit';
import { sqlBiGatewayService } from './service.ts';

await bootstrapService(sqlBiGatewayService);
