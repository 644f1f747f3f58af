import { packageRoot, writeOpenApiDocument } from '@openfoundry/service-kit';
import { connectorService } from './service.ts';

const path = await writeOpenApiDocument(connectorService, packageRoot(import.meta.url));
process.stdout.write(`wrote ${path}\n`);
