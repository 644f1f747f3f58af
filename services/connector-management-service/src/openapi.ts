import { packageRoot, writeOpenApiDocument } from '@openfoundry/service-kit';
import { connectorManagementService } from './service.ts';

const path = await writeOpenApiDocument(connectorManagementService, packageRoot(import.meta.url));
process.stdout.write(`wrote ${path}\n`);
