import { packageRoot, writeOpenApiDocument } from '@openfoundry/service-kit';
import { lakehouseSinkService } from './service.ts';

const path = await writeOpenApiDocument(lakehouseSinkService, packageRoot(import.meta.url));
process.stdout.write(`wrote ${path}\n`);
