import { createTestApp, createTestDatabase, type TestDatabase } from '@openfoundry/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectionService } from '../src/projection/projection.service.ts';
import { streamingService } from '../src/service.ts';
import { busEnv } from './bus-env.ts';
import { assetEvent, batchOf, double, long, onPartition, uniqueTenant } from './factories.ts';

type App = Awaited<ReturnType<typeof createTestApp<typeof streamingService.configSchema>>>;

describe('the REST API', () => {
  let database: TestDatabase;
  let app: App;
  const mine = uniqueTenant('rest');
  const other = uniqueTenant('rest');
  const myToken = `token-${mine}`;
  const otherToken = `token-${other}`;

  beforeAll(async () => {
    database = await createTestDatabase('of_streaming_rest');
    app = await createTestApp(streamingService, {
      env: {
        DATABASE_URL: database.url,
        STREAMING_CONSUME: 'false',
        STREAMING_TOKENS: `${myToken}=${mine},${otherToken}=${other}`,
        ...(await busEnv()),
      },
    });
    const at = (iso: string) => ({ sourceTime: iso, ingestTime: iso });
    await app.app.get(ProjectionService).apply(
      batchOf(
        onPartition(0, 0n, [
          assetEvent({
            tenant: mine,
            assetId: 'press-1',
            value: double(10),
            unit: 'Cel',
            ...at('2026-03-01T10:00:01Z'),
          }),
          assetEvent({
            tenant: mine,
            assetId: 'press-1',
            value: double(20),
            ...at('2026-03-01T10:00:31Z'),
          }),
          assetEvent({ tenant: mine, assetId: 'press-1', value: long(40), ...at('2026-03-01T10:01:02Z') }),
          assetEvent({
            tenant: mine,
            assetId: 'press-1',
            attribute: 'running',
            value: { type: 'boolean', value: true },
          }),
          assetEvent({ tenant: mine, assetId: 'press-2', value: double(1) }),
          assetEvent({ tenant: mine, assetId: 'press-3', value: double(1) }),
          assetEvent({ tenant: other, assetId: 'secret-asset', value: double(99) }),
        ]),
      ),
    );
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const get = (url: string, token: string | null = myToken) =>
    app.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });

  describe('GET /v1/tenants/{tenant}/assets', () => {
    it('lists assets with their attribute count and last update, a page at a time', async () => {
      const first = await get(`/v1/tenants/${mine}/assets?limit=2`);
      expect(first.statusCode).toBe(200);
      expect(first.json()).toEqual({
        items: [
          {
            assetId: 'press-1',
            attributes: 2,
            lastSourceTime: '2026-03-01T10:01:02.000Z',
            lastIngestTime: '2026-03-01T10:01:02.000Z',
          },
          expect.objectContaining({ assetId: 'press-2', attributes: 1 }),
        ],
        nextCursor: 'press-2',
      });
      const second = await get(`/v1/tenants/${mine}/assets?limit=2&cursor=press-2`);
      expect(second.json()).toEqual({ items: [expect.objectContaining({ assetId: 'press-3' })] });
    });

    it('answers 401 without a token or with an unknown one', async () => {
      for (const token of [null, 'not-a-token']) {
        const response = await get(`/v1/tenants/${mine}/assets`, token);
        expect(response.statusCode).toBe(401);
        expect(response.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
      }
    });

    it("answers 403 for another tenant's assets, never listing them", async () => {
      const response = await get(`/v1/tenants/${other}/assets`);
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
      expect(response.body).not.toContain('secret-asset');
      const theirs = await get(`/v1/tenants/${other}/assets`, otherToken);
      expect(theirs.json()).toEqual({ items: [expect.objectContaining({ assetId: 'secret-asset' })] });
    });

    it('rejects a bad limit or cursor with 400', async () => {
      for (const query of ['limit=0', 'limit=1001', 'limit=abc', 'cursor=a%2Fb', 'unknown=1']) {
        const response = await get(`/v1/tenants/${mine}/assets?${query}`);
        expect(response.statusCode, query).toBe(400);
        expect(response.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
      }
    });
  });

  describe('GET /v1/tenants/{tenant}/assets/{asset}/state', () => {
    it('returns every attribute with its typed value and stream position', async () => {
      const response = await get(`/v1/tenants/${mine}/assets/press-1/state`);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        tenant: mine,
        assetId: 'press-1',
        attributes: [
          expect.objectContaining({
            attribute: 'running',
            value: { type: 'boolean', value: true },
            position: '0:3',
          }),
          expect.objectContaining({
            attribute: 'temperature',
            kind: 'sample',
            value: { type: 'long', value: 40 },
            quality: 'good',
            sourceTime: '2026-03-01T10:01:02.000Z',
            position: '0:2',
          }),
        ],
      });
    });

    it('answers 404 for an unknown asset and 403 for an asset of another tenant', async () => {
      const unknown = await get(`/v1/tenants/${mine}/assets/no-such-asset/state`);
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json()).toMatchObject({ error: { code: 'ASSET_NOT_FOUND' } });
      const theirs = await get(`/v1/tenants/${other}/assets/secret-asset/state`);
      expect(theirs.statusCode).toBe(403);
      // Their asset under my tenant is simply not there.
      expect((await get(`/v1/tenants/${mine}/assets/secret-asset/state`)).statusCode).toBe(404);
    });

    it('rejects a malformed asset or tenant id with 400', async () => {
      const response = await get(`/v1/tenants/${mine}/assets/bad.asset!/state`);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    });
  });

  describe('GET /v1/tenants/{tenant}/assets/{asset}/aggregates', () => {
    it('returns 1-minute windows newest first, numbers only in min/max/avg', async () => {
      const response = await get(
        `/v1/tenants/${mine}/assets/press-1/aggregates?window=1m&attribute=temperature`,
      );
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        tenant: mine,
        assetId: 'press-1',
        window: '1m',
        items: [
          expect.objectContaining({ windowStart: '2026-03-01T10:01:00.000Z', count: 1, avg: 40 }),
          {
            attribute: 'temperature',
            windowStart: '2026-03-01T10:00:00.000Z',
            windowEnd: '2026-03-01T10:01:00.000Z',
            count: 2,
            min: 10,
            max: 20,
            avg: 15,
            sum: 30,
            last: { type: 'double', value: 20 },
            lastTime: '2026-03-01T10:00:31.000Z',
          },
        ],
      });
    });

    it('filters by time range and limit, and covers every attribute without one', async () => {
      const hour = await get(`/v1/tenants/${mine}/assets/press-1/aggregates?window=1h`);
      expect(
        hour.json().items.map((w: { attribute: string; count: number }) => [w.attribute, w.count]),
      ).toEqual([
        ['running', 1],
        ['temperature', 3],
      ]);
      const ranged = await get(
        `/v1/tenants/${mine}/assets/press-1/aggregates?window=1m&from=2026-03-01T10:00:30Z&to=2026-03-01T12:00:00%2B01:00`,
      );
      expect(ranged.json().items.map((w: { windowStart: string }) => w.windowStart)).toEqual([
        '2026-03-01T10:01:00.000Z',
      ]);
      const limited = await get(`/v1/tenants/${mine}/assets/press-1/aggregates?limit=1`);
      expect(limited.json().items).toHaveLength(1);
    });

    it('rejects a bad window, from after to, a bad time or limit with 400', async () => {
      for (const query of [
        'window=5m',
        'window=',
        'from=2026-03-01T11:00:00Z&to=2026-03-01T10:00:00Z',
        'from=yesterday',
        'to=2026-03-01T10:00:00',
        'limit=10001',
        'attribute=a%20b',
      ]) {
        const response = await get(`/v1/tenants/${mine}/assets/press-1/aggregates?${query}`);
        expect(response.statusCode, query).toBe(400);
        expect(response.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
      }
    });

    it('answers 404 for an unknown asset', async () => {
      const response = await get(`/v1/tenants/${mine}/assets/no-such-asset/aggregates?window=1h`);
      expect(response.statusCode).toBe(404);
    });
  });

  describe('/v1/admin', () => {
    it('is disabled (403) without STREAMING_ADMIN_TOKEN', async () => {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/admin/rebuild',
        headers: { authorization: `Bearer ${myToken}` },
      });
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ error: { code: 'ADMIN_DISABLED' } });
    });
  });
});
