import { packageRoot, writeOpenApiDocument } from '@openfoundry/service-kit';
import { icebergCatalogService } from './service.ts';

const path = await writeOpenApiDocument(icebergCatalogService, packageRoot(import.meta.url));
process.stdout.write(`wrote ${path}\n`);
