import { bootstrapService } from '@openfoundry/service-kit';
import { connectorService, withConnectorDefaults } from './service.ts';

Object.assign(process.env, withConnectorDefaults(process.env));
await bootstrapService(connectorService);
