import { createTestApp, createTestDatabase, type TestDatabase } from '@openfoundry/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenancyService } from '../src/service.ts';
import { busEnv } from './bus-env.ts';
import { createTenantBody, slug } from './factories.ts';

type App = Awaited<ReturnType<typeof createTestApp<typeof tenancyService.configSchema>>>;
const UNKNOWN_ID = '1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b';

describe('tenancy-service over HTTP', () => {
  let database: TestDatabase;
  let app: App;

  const post = (body: unknown) => app.inject({ method: 'POST', url: '/tenants', payload: body as object });
  const patch = (id: string, body: unknown) =>
    app.inject({ method: 'PATCH', url: `/tenants/${id}`, payload: body as object });
  const create = async (overrides: Parameters<typeof createTenantBody>[0] = {}) => {
    const response = await post(createTenantBody(overrides));
    expect(response.statusCode).toBe(201);
    return response.json() as {
      id: string;
      slug: string;
      parentId: string | null;
      settings: Record<string, unknown>;
    };
  };

  beforeAll(async () => {
    database = await createTestDatabase('of_tenancy');
    app = await createTestApp(tenancyService, { env: { DATABASE_URL: database.url, ...(await busEnv()) } });
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  describe('health', () => {
    it('answers /healthz and /readyz with 200', async () => {
      expect((await app.inject('/healthz')).statusCode).toBe(200);
      const ready = await app.inject('/readyz');
      expect(ready.statusCode).toBe(200);
      expect(ready.json().checks).toEqual({ database: 'ok', 'data-bus': 'ok', 'control-bus': 'ok' });
    });
  });

  describe('CRUD', () => {
    it('creates, reads, renames and deletes a tenant', async () => {
      const created = await create({ name: 'ACME', settings: { timezone: 'UTC' } });
      expect(created).toMatchObject({ parentId: null, settings: { timezone: 'UTC' } });

      const fetched = await app.inject(`/tenants/${created.id}`);
      expect(fetched.json()).toEqual(created);
      expect((await app.inject(`/tenants/by-slug/${created.slug}`)).json().id).toBe(created.id);

      const renamed = await patch(created.id, { name: 'ACME Corp' });
      expect(renamed.statusCode).toBe(200);
      expect(renamed.json().name).toBe('ACME Corp');

      const deleted = await app.inject({ method: 'DELETE', url: `/tenants/${created.id}` });
      expect(deleted.statusCode).toBe(204);
      expect((await app.inject(`/tenants/${created.id}`)).statusCode).toBe(404);
    });

    it('lists children and ancestors', async () => {
      const root = await create();
      const plant = await create({ parentId: root.id });
      const line = await create({ parentId: plant.id });
      const children = (await app.inject(`/tenants/${root.id}/children`)).json();
      expect(children.items.map((t: { id: string }) => t.id)).toEqual([plant.id]);
      const ancestors = (await app.inject(`/tenants/${line.id}/ancestors`)).json();
      expect(ancestors.items.map((t: { id: string }) => t.id)).toEqual([plant.id, root.id]);
    });

    it('merges settings by default and replaces them on request', async () => {
      const t = await create({ settings: { a: 1, b: { c: 1 } } });
      const merged = await patch(t.id, { settings: { a: null, b: { d: 2 } } });
      expect(merged.json().settings).toEqual({ b: { c: 1, d: 2 } });
      const replaced = await patch(t.id, { settings: { z: true }, settingsMode: 'replace' });
      expect(replaced.json().settings).toEqual({ z: true });
    });

    it('deletes a subtree only with cascade=true', async () => {
      const root = await create();
      const child = await create({ parentId: root.id });
      const refused = await app.inject({ method: 'DELETE', url: `/tenants/${root.id}` });
      expect(refused.statusCode).toBe(409);
      expect(refused.json().error.code).toBe('TENANT_HAS_CHILDREN');
      expect(
        (await app.inject({ method: 'DELETE', url: `/tenants/${root.id}?cascade=true` })).statusCode,
      ).toBe(204);
      expect((await app.inject(`/tenants/${child.id}`)).statusCode).toBe(404);
    });
  });

  describe('pagination', () => {
    it('walks all children of a parent page by page without repeats', async () => {
      const parent = await create();
      const created = [];
      for (let i = 0; i < 5; i++) created.push(await create({ parentId: parent.id }));
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = `/tenants?parentId=${parent.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
        const page = (await app.inject(query)).json();
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((t: { slug: string }) => t.slug));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(created.map((t) => t.slug).sort());
    });

    it('rejects a limit above 100 with a field error', async () => {
      const response = await app.inject('/tenants?limit=101');
      expect(response.statusCode).toBe(400);
      expect(response.json().error.details).toEqual([
        expect.objectContaining({ path: 'limit', location: 'query' }),
      ]);
    });

    it('rejects a forged cursor with 400', async () => {
      expect((await app.inject('/tenants?cursor=%21%21%21')).statusCode).toBe(400);
    });
  });

  describe('effective settings', () => {
    it('resolves child over parent and names where each key came from', async () => {
      const acme = await create({
        settings: { timezone: 'UTC', units: { temperature: 'celsius', pressure: 'bar' } },
      });
      const austin = await create({ parentId: acme.id, settings: { units: { temperature: 'fahrenheit' } } });
      const response = await app.inject(`/tenants/${austin.id}/settings/effective`);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        tenantId: austin.id,
        settings: { timezone: 'UTC', units: { temperature: 'fahrenheit', pressure: 'bar' } },
        sources: {
          timezone: { tenantId: acme.id, slug: acme.slug },
          units: { tenantId: austin.id, slug: austin.slug },
        },
        chain: [
          { id: acme.id, slug: acme.slug },
          { id: austin.id, slug: austin.slug },
        ],
      });
    });
  });

  describe('bad input', () => {
    it('rejects an invalid body with 400 and field errors', async () => {
      const response = await post({ slug: 'No Good', name: '', extra: 1 });
      expect(response.statusCode).toBe(400);
      const { error } = response.json();
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.details.map((d: { path: string }) => d.path)).toEqual(
        expect.arrayContaining(['slug', 'name']),
      );
      expect(error.requestId).toBe(response.headers['x-request-id']);
    });

    it('rejects a malformed uuid with 400', async () => {
      const response = await app.inject('/tenants/not-a-uuid');
      expect(response.statusCode).toBe(400);
      expect(response.json().error.details[0]).toMatchObject({ location: 'params' });
    });

    it('answers an unknown id with 404', async () => {
      const response = await app.inject(`/tenants/${UNKNOWN_ID}`);
      expect(response.statusCode).toBe(404);
      expect(response.json().error.code).toBe('TENANT_NOT_FOUND');
    });

    it('answers an unknown parent with 404', async () => {
      expect((await post(createTenantBody({ parentId: UNKNOWN_ID }))).statusCode).toBe(404);
    });

    it('rejects a duplicate slug with 409, also when two requests race', async () => {
      const body = createTenantBody();
      const responses = await Promise.all([post(body), post(body), post(body)]);
      expect(responses.map((r) => r.statusCode).sort()).toEqual([201, 409, 409]);
      expect(responses.find((r) => r.statusCode === 409)?.json().error.code).toBe('TENANT_SLUG_TAKEN');
    });

    it('rejects malformed JSON with 400', async () => {
      const response = await app.inject({
        method: 'POST',
        url: '/tenants',
        headers: { 'content-type': 'application/json' },
        payload: '{"slug": ',
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('MALFORMED_JSON');
    });

    it('rejects a body that is not JSON with 415', async () => {
      const response = await app.inject({
        method: 'POST',
        url: '/tenants',
        headers: { 'content-type': 'text/plain' },
        payload: 'slug=x',
      });
      expect(response.statusCode).toBe(415);
      expect(response.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    });

    it('rejects an oversized body with 413', async () => {
      const response = await post({ slug: slug(), name: 'big', settings: { blob: 'x'.repeat(1_100_000) } });
      expect(response.statusCode).toBe(413);
      expect(response.json().error.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('rejects an empty patch with 400', async () => {
      const t = await create();
      expect((await patch(t.id, {})).statusCode).toBe(400);
    });
  });

  describe('reparent', () => {
    it('rejects a descendant as the new parent with 409 TENANT_CYCLE', async () => {
      const root = await create();
      const child = await create({ parentId: root.id });
      const grandchild = await create({ parentId: child.id });
      const response = await patch(root.id, { parentId: grandchild.id });
      expect(response.statusCode).toBe(409);
      expect(response.json().error.code).toBe('TENANT_CYCLE');
      expect((await patch(root.id, { parentId: root.id })).statusCode).toBe(409);
    });

    it('lets only one of two concurrent opposite moves win, so no cycle forms', async () => {
      const root = await create();
      const a = await create({ parentId: root.id });
      const b = await create({ parentId: root.id });
      const [moveA, moveB] = await Promise.all([
        patch(a.id, { parentId: b.id }),
        patch(b.id, { parentId: a.id }),
      ]);
      expect([moveA.statusCode, moveB.statusCode].sort()).toEqual([200, 409]);
      const ancestorsOfA = (await app.inject(`/tenants/${a.id}/ancestors`)).json().items;
      const ancestorsOfB = (await app.inject(`/tenants/${b.id}/ancestors`)).json().items;
      expect(ancestorsOfA.at(-1).id).toBe(root.id);
      expect(ancestorsOfB.at(-1).id).toBe(root.id);
    });
  });

  describe('request ids', () => {
    it('echoes the caller request id', async () => {
      const response = await app.inject({ url: '/tenants', headers: { 'x-request-id': 'caller-123' } });
      expect(response.headers['x-request-id']).toBe('caller-123');
    });

    it('generates one when the caller sends none', async () => {
      expect((await app.inject('/tenants')).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('openapi', () => {
    it('serves the document at /openapi.json', async () => {
      const response = await app.inject('/openapi.json');
      expect(response.statusCode).toBe(200);
      expect(Object.keys(response.json().paths)).toContain('/tenants/{id}/settings/effective');
    });
  });
});

describe('demo seed', () => {
  it('creates the acme hierarchy and can run twice', async () => {
    const database = await createTestDatabase('of_tenancy');
    const app = await createTestApp(tenancyService, {
      env: { DATABASE_URL: database.url, ...(await busEnv()) },
    });
    try {
      const { DemoSeedService } = await import('../src/tenants/demo-seed.service.ts');
      await app.app.get(DemoSeedService).seed();
      await app.app.get(DemoSeedService).seed();
      const page = (await app.inject('/tenants')).json();
      expect(page.items.map((t: { slug: string }) => t.slug)).toEqual([
        'acme',
        'acme-plant-austin',
        'acme-plant-berlin',
      ]);
    } finally {
      await app.close();
      await database.drop();
    }
  });
});
