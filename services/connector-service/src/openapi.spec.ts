import { checkOpenApiDocument, packageRoot } from '@openfoundry/service-kit';
import { describe, expect, it } from 'vitest';
import { connectorService } from './service.ts';

describe('openapi.json', () => {
  it('matches what the code generates (run `npm run openapi -w @openfoundry/connector-service`)', async () => {
    const { committed, generated } = await checkOpenApiDocument(
      connectorService,
      packageRoot(import.meta.url),
    );
    expect(committed, 'openapi.json is missing or stale: regenerate it').toBe(generated);
  });
});
