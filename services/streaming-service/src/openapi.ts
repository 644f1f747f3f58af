import { packageRoot, writeOpenApiDocument } from '@openfoundry/service-kit';
import { streamingService } from './service.ts';

const path = await writeOpenApiDocument(streamingService, packageRoot(import.meta.url));
process.stdout.write(`wrote ${path}\n`);
