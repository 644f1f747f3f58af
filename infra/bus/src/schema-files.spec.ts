import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { platformRegistry } from './platform.ts';
import { schemaDrift, writeSchemaFiles } from './schema-files.ts';

describe('committed payload schemas', () => {
  it('match the registry (run `npm run bus -- schemas` after changing a schema)', () => {
    expect(schemaDrift(platformRegistry)).toEqual([]);
  });

  it('carry the stable schema URL as $id', () => {
    const dir = mkdtempSync(join(tmpdir(), 'of-schemas-'));
    const [first] = writeSchemaFiles(platformRegistry, dir);
    const doc = JSON.parse(readFileSync(join(dir, first ?? ''), 'utf8')) as { $id: string };
    expect(doc.$id).toMatch(/^https:\/\/openfoundry\.dev\/schemas\/bus\/[a-z.-]+\/v\d+\.json$/);
  });

  it('report a schema file that is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'of-schemas-'));
    expect(schemaDrift(platformRegistry, dir)[0]).toMatch(/: missing$/);
  });
});
