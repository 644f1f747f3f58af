import { packageRoot, writeOpenApiDocument } from '@openfoundry/service-kit';
import { sqlBiGatewayService } from './service.ts';

const path = await writeOpenApiDocument(sqlBiGatewayService, packageRoot(import.meta.url));
process.stdout.write(`wrote ${path}\n`);
