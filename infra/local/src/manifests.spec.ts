import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { databasesToProvision, serviceManifests } from './manifests.ts';

function servicesDir(manifests: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'of-services-'));
  for (const [name, manifest] of Object.entries(manifests)) {
    mkdirSync(join(dir, name));
    writeFileSync(
      join(dir, name, 'service.json'),
      typeof manifest === 'string' ? manifest : JSON.stringify(manifest),
    );
  }
  mkdirSync(join(dir, 'not-a-service'));
  return dir;
}

describe('serviceManifests', () => {
  it('reads every services/*/service.json, sorted', () => {
    const dir = servicesDir({
      'tenancy-service': { name: 'tenancy-service', database: 'tenancy', plane: 'control' },
      'audit-service': { name: 'audit-service' },
    });
    const manifests = serviceManifests(dir);
    expect(manifests.map((m) => [m.name, m.database])).toEqual([
      ['audit-service', undefined],
      ['tenancy-service', 'tenancy'],
    ]);
    expect(manifests[1]?.plane).toBe('control');
    expect(databasesToProvision(manifests)).toEqual(['tenancy']);
  });
  it('reads the CPU class: interactive unless a service says background, anything else refused', () => {
    const dir = servicesDir({
      'a-service': { name: 'a-service' },
      'b-service': { name: 'b-service', cpu: 'background' },
    });
    expect(serviceManifests(dir).map((m) => [m.name, m.cpu])).toEqual([
      ['a-service', 'interactive'],
      ['b-service', 'background'],
    ]);
    const bad = servicesDir({ 'c-service': { name: 'c-service', cpu: 'idle' } });
    expect(() => serviceManifests(bad)).toThrow(/"cpu" must be one of interactive, background, got "idle"/);
  });
  it('returns nothing for a missing directory', () => {
    expect(serviceManifests('/nonexistent/services')).toEqual([]);
  });
  it('names the file with broken JSON', () => {
    const dir = servicesDir({ broken: '{ nope' });
    expect(() => serviceManifests(dir)).toThrow(/broken\/service\.json is not valid JSON/);
  });
  it('rejects a database name that is not a plain identifier', () => {
    const dir = servicesDir({ bad: { name: 'bad', database: 'Drop Table' } });
    expect(() => serviceManifests(dir)).toThrow(/"database" must match/);
  });
});
