import { packageRoot, writeOpenApiDocument } from '@openfoundry/service-kit';
import { tenancyService } from './service.ts';

const path = await writeOpenApiDocument(tenancyService, packageRoot(import.meta.url));
process.stdout.write(`wrote ${path}\n`);
