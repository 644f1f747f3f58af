import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { serviceManifests } from './manifests.ts';
import { status } from './runner.ts';

// Runs against the whole platform as `npm test` (or `npm start`) brings it up: every server of the
// runner and every service of the repo, reached over loopback with a plain HTTP client.
const services = serviceManifests().map((m) => ({ name: m.name, url: `http://127.0.0.1:${String(m.port)}` }));

describe('the running platform', () => {
  it('reports every infrastructure server healthy with its version', async () => {
    const servers = await status();
    expect(servers.map((s) => s.name).sort()).toEqual(
      ['duckdb', 'kafka', 'mosquitto', 'nats', 'postgres', 'redis', 's3'].sort(),
    );
    for (const server of servers) {
      expect(server.health, `${server.name}: ${server.detail ?? ''}`).toMatch(/^(up|installed)$/);
      expect(server.version, server.name).toMatch(/\d+\.\d+/);
    }
  });

  it('has at least one service to run', () => {
    expect(services.length).toBeGreaterThan(0);
  });

  describe.each(services)('$name', ({ url }) => {
    it('is live and ready', async () => {
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status, await ready.clone().text()).toBe(200);
    });

    it('serves its OpenAPI document', async () => {
      const res = await fetch(`${url}/openapi.json`);
      expect(res.status).toBe(200);
      const doc = (await res.json()) as { openapi?: string; paths?: Record<string, unknown> };
      expect(doc.openapi).toMatch(/^3\./);
      expect(Object.keys(doc.paths ?? {}).length).toBeGreaterThan(0);
    });

    it('echoes a caller-supplied request id', async () => {
      const requestId = randomUUID();
      const res = await fetch(`${url}/healthz`, { headers: { 'x-request-id': requestId } });
      expect(res.headers.get('x-request-id')).toBe(requestId);
    });
  });
});
