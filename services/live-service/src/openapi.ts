import { packageRoot, writeOpenApiDocument } from '@openfoundry/service-kit';
import { liveService } from './service.ts';

const path = await writeOpenApiDocument(liveService, packageRoot(import.meta.url));
process.stdout.write(`wrote ${path}\n`);
