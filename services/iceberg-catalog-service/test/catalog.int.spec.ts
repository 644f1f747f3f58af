import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseJson, stringifyJson } from '../src/json/lossless-json.ts';
import type { TableMetadata } from '../src/metadata/table-metadata.ts';
import { TablesRepository } from '../src/tables/tables.repository.ts';
import {
  ACME_TOKEN,
  deleteFromWarehouse,
  GLOBEX_TOKEN,
  PLATFORM_TOKEN,
  type RunningCatalog,
  s3Client,
  s3Env,
  startCatalog,
} from './catalog-app.ts';
import { createTableRequest, snapshot } from './factories.ts';

// biome-ignore lint/suspicious/noExplicitAny: responses are read field by field, each asserted
type JsonBody = Record<string, any>;

const SEP = '%1F';
const BIG_ID = 9_007_199_254_740_993n; // 2^53 + 1: a double cannot hold it

describe('iceberg-catalog-service over HTTP', () => {
  let catalog: RunningCatalog;
  let s3: S3Client;
  let sequence = 0;
  const created: string[][] = [];

  const request = async (method: string, url: string, body?: unknown, token: string | null = ACME_TOKEN) => {
    const response = await catalog.app.inject({
      method: method as 'GET',
      url,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : stringifyJson(body) }),
    });
    const text = response.body;
    return {
      status: response.statusCode,
      body: (text ? parseJson(text) : undefined) as JsonBody,
      text,
    };
  };
  const ns = (...levels: string[]) => `/v1/warehouse/namespaces/${levels.join(SEP)}`;
  const freshNamespace = async () => {
    sequence += 1;
    const levels = ['acme', `int_${Date.now().toString(36)}_${sequence}`];
    created.push(levels);
    expect((await request('POST', '/v1/warehouse/namespaces', { namespace: levels })).status).toBe(200);
    return levels;
  };
  const createTable = async (levels: string[], name = 'events') => {
    const created = await request('POST', `${ns(...levels)}/tables`, createTableRequest({ name }));
    expect(created.status).toBe(200);
    return created.body as { 'metadata-location': string; metadata: TableMetadata };
  };
  const metadataFiles = async (location: string) => {
    const [, bucket, key] = /^s3:\/\/([^/]+)\/(.*)$/.exec(location) ?? [];
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${key}/metadata/` }));
    return (listed.Contents ?? []).map((o) => o.Key);
  };
  const expectIcebergError = (
    response: { status: number; body: JsonBody; text: string },
    status: number,
    type: string,
  ) => {
    expect(response.status).toBe(status);
    expect(response.body).toEqual({ error: { message: expect.any(String), type, code: status } });
    expect(response.text).not.toMatch(/\bat .*\.(ts|js):\d+/);
  };

  beforeAll(async () => {
    catalog = await startCatalog();
    s3 = s3Client();
    expect((await request('POST', '/v1/warehouse/namespaces', { namespace: ['acme'] })).status).toBe(200);
    expect(
      (await request('POST', '/v1/warehouse/namespaces', { namespace: ['globex'] }, GLOBEX_TOKEN)).status,
    ).toBe(200);
  });

  afterAll(async () => {
    s3?.destroy();
    await catalog?.close();
    await deleteFromWarehouse(created.map((levels) => levels.join('/')));
  });

  describe('health and config', () => {
    it('is ready when Postgres and the warehouse bucket answer', async () => {
      const ready = await request('GET', '/readyz', undefined, null);
      expect(ready.status).toBe(200);
      expect(ready.body.checks).toEqual({ database: 'ok', warehouse: 'ok' });
    });

    it('gives the prefix and the S3 settings a client needs', async () => {
      const config = await request('GET', '/v1/config?warehouse=warehouse');
      expect(config.status).toBe(200);
      expect(config.body.overrides).toMatchObject({
        prefix: 'warehouse',
        's3.endpoint': s3Env().OPENFOUNDRY_S3_ENDPOINT,
        's3.path-style-access': 'true',
        's3.access-key-id': s3Env().OPENFOUNDRY_S3_ACCESS_KEY,
      });
      expect(config.body.endpoints).toContain('POST /v1/{prefix}/transactions/commit');
      expectIcebergError(await request('GET', '/v1/config?warehouse=elsewhere'), 404, 'NotFoundException');
    });
  });

  describe('errors', () => {
    it('answers 401 without a token or with an unknown one', async () => {
      expectIcebergError(
        await request('GET', '/v1/warehouse/namespaces', undefined, null),
        401,
        'NotAuthorizedException',
      );
      expectIcebergError(
        await request('GET', '/v1/warehouse/namespaces', undefined, 'forged'),
        401,
        'NotAuthorizedException',
      );
    });

    it('answers 404 for an unknown warehouse prefix and an unknown route', async () => {
      expectIcebergError(await request('GET', '/v1/lakehouse/namespaces'), 404, 'NotFoundException');
      expectIcebergError(await request('GET', '/v1/warehouse/nothing/here'), 404, 'NotFoundException');
    });

    it('answers malformed JSON with 400 BadRequestException', async () => {
      expectIcebergError(
        await request('POST', '/v1/warehouse/namespaces', '{"namespace": ['),
        400,
        'BadRequestException',
      );
    });

    it('rejects an unknown update type and an unknown requirement type with 400', async () => {
      const levels = await freshNamespace();
      const table = await createTable(levels);
      const url = `${ns(...levels)}/tables/events`;
      expectIcebergError(
        await request('POST', url, { updates: [{ action: 'rewrite-history' }] }),
        400,
        'BadRequestException',
      );
      expectIcebergError(
        await request('POST', url, { requirements: [{ type: 'assert-everything' }], updates: [] }),
        400,
        'BadRequestException',
      );
      expect((await request('GET', url)).body['metadata-location']).toBe(table['metadata-location']);
    });

    it('answers unknown namespaces and tables with 404 of their own type', async () => {
      const levels = await freshNamespace();
      expectIcebergError(await request('GET', ns('acme', 'missing')), 404, 'NoSuchNamespaceException');
      expectIcebergError(
        await request('GET', `${ns(...levels)}/tables/missing`),
        404,
        'NoSuchTableException',
      );
      expectIcebergError(
        await request('POST', `${ns(...levels)}/tables/missing`, { updates: [] }),
        404,
        'NoSuchTableException',
      );
      expectIcebergError(
        await request('DELETE', `${ns(...levels)}/tables/missing`),
        404,
        'NoSuchTableException',
      );
      expect((await request('HEAD', `${ns(...levels)}/tables/missing`)).status).toBe(404);
    });
  });

  describe('namespaces', () => {
    it('creates, lists by parent, loads, updates and drops namespaces', async () => {
      const levels = await freshNamespace();
      expectIcebergError(
        await request('POST', '/v1/warehouse/namespaces', { namespace: levels }),
        409,
        'AlreadyExistsException',
      );
      const child = [...levels, 'child'];
      expect(
        (await request('POST', '/v1/warehouse/namespaces', { namespace: child, properties: { a: '1' } }))
          .status,
      ).toBe(200);
      const listed = await request('GET', `/v1/warehouse/namespaces?parent=${levels.join(SEP)}`);
      expect(listed.body).toEqual({ namespaces: [child] });
      const second = [...levels, 'daughter'];
      expect((await request('POST', '/v1/warehouse/namespaces', { namespace: second })).status).toBe(200);
      const page = await request('GET', `/v1/warehouse/namespaces?parent=${levels.join(SEP)}&pageSize=1`);
      expect(page.body).toEqual({ namespaces: [child], 'next-page-token': 'child' });
      const rest = await request(
        'GET',
        `/v1/warehouse/namespaces?parent=${levels.join(SEP)}&pageSize=1&pageToken=child`,
      );
      expect(rest.body).toEqual({ namespaces: [second] });
      expect((await request('DELETE', ns(...second))).status).toBe(204);
      const changed = await request('POST', `${ns(...child)}/properties`, {
        updates: { b: '2' },
        removals: ['a', 'z'],
      });
      expect(changed.body).toEqual({ updated: ['b'], removed: ['a'], missing: ['z'] });
      expect((await request('GET', ns(...child))).body).toEqual({ namespace: child, properties: { b: '2' } });
      expect((await request('HEAD', ns(...child))).status).toBe(204);
      expectIcebergError(await request('DELETE', ns(...levels)), 409, 'NamespaceNotEmptyException');
      expect((await request('DELETE', ns(...child))).status).toBe(204);
      await createTable(levels);
      expectIcebergError(await request('DELETE', ns(...levels)), 409, 'NamespaceNotEmptyException');
    });
  });

  describe('tenants', () => {
    it('never shows or lets another tenant touch a namespace, its tables or its locations', async () => {
      const levels = await freshNamespace();
      await createTable(levels);
      expect((await request('GET', '/v1/warehouse/namespaces', undefined, GLOBEX_TOKEN)).body).toEqual({
        namespaces: [['globex']],
      });
      expect((await request('GET', '/v1/warehouse/namespaces')).body).toEqual({ namespaces: [['acme']] });
      for (const [method, url, body] of [
        ['GET', ns(...levels), undefined],
        ['GET', `/v1/warehouse/namespaces?parent=acme`, undefined],
        ['DELETE', ns(...levels), undefined],
        ['GET', `${ns(...levels)}/tables/events`, undefined],
        [
          'POST',
          `${ns(...levels)}/tables/events`,
          { updates: [{ action: 'set-properties', updates: { x: 'y' } }] },
        ],
        ['DELETE', `${ns(...levels)}/tables/events`, undefined],
        ['POST', '/v1/warehouse/namespaces', { namespace: ['acme', 'intruder'] }],
        [
          'POST',
          '/v1/warehouse/tables/rename',
          {
            source: { namespace: levels, name: 'events' },
            destination: { namespace: ['globex'], name: 'stolen' },
          },
        ],
      ] as const) {
        expectIcebergError(await request(method, url, body, GLOBEX_TOKEN), 403, 'ForbiddenException');
      }
      expectIcebergError(
        await request(
          'POST',
          `/v1/warehouse/namespaces/globex/tables`,
          createTableRequest({ location: 's3://warehouse/acme/sneaky' }),
          GLOBEX_TOKEN,
        ),
        403,
        'ForbiddenException',
      );
      expect((await request('GET', `${ns(...levels)}/tables/events`)).status).toBe(200);
    });

    it('lets a token mapped to * act for every tenant, inside the warehouse only', async () => {
      const levels = await freshNamespace();
      await createTable(levels);
      const roots = await request('GET', '/v1/warehouse/namespaces', undefined, PLATFORM_TOKEN);
      expect(roots.body.namespaces).toEqual(expect.arrayContaining([['acme'], ['globex']]));
      expect((await request('GET', `${ns(...levels)}/tables/events`, undefined, PLATFORM_TOKEN)).status).toBe(
        200,
      );
      const globexLevels = ['globex', `platform_${Date.now().toString(36)}`];
      created.push(globexLevels);
      expect(
        (await request('POST', '/v1/warehouse/namespaces', { namespace: globexLevels }, PLATFORM_TOKEN))
          .status,
      ).toBe(200);
      expect((await request('GET', ns(...globexLevels), undefined, GLOBEX_TOKEN)).status).toBe(200);
      expectIcebergError(
        await request(
          'POST',
          `${ns(...globexLevels)}/tables`,
          createTableRequest({ location: 's3://elsewhere/globex/t' }),
          PLATFORM_TOKEN,
        ),
        403,
        'ForbiddenException',
      );
      // The every-tenant mapping is not a wildcard for the others: acme still sees only acme.
      expect((await request('GET', '/v1/warehouse/namespaces')).body).toEqual({ namespaces: [['acme']] });
    });
  });

  describe('tables', () => {
    it('creates a table whose first metadata file is named per the spec and stored in S3', async () => {
      const levels = await freshNamespace();
      const created = await createTable(levels);
      expect(created['metadata-location']).toMatch(
        new RegExp(
          `^s3://warehouse/acme/${levels[1]}/events-[0-9a-f-]{36}/metadata/00000-[0-9a-f-]{36}\\.metadata\\.json$`,
        ),
      );
      expect(await metadataFiles(created.metadata.location)).toHaveLength(1);
      expect((await request('GET', `${ns(...levels)}/tables`)).body).toEqual({
        identifiers: [{ namespace: levels, name: 'events' }],
      });
      await createTable(levels, 'later');
      expect((await request('GET', `${ns(...levels)}/tables?pageSize=1`)).body).toEqual({
        identifiers: [{ namespace: levels, name: 'events' }],
        'next-page-token': 'events',
      });
      expect((await request('GET', `${ns(...levels)}/tables?pageSize=1&pageToken=events`)).body).toEqual({
        identifiers: [{ namespace: levels, name: 'later' }],
      });
      expectIcebergError(
        await request('POST', `${ns(...levels)}/tables`, createTableRequest()),
        409,
        'AlreadyExistsException',
      );
    });

    it('keeps 64-bit snapshot ids exact, honours master as main and filters snapshots by refs', async () => {
      const levels = await freshNamespace();
      await createTable(levels);
      const url = `${ns(...levels)}/tables/events`;
      const first = snapshot({ 'snapshot-id': BIG_ID });
      const committed = await request('POST', url, {
        requirements: [{ type: 'assert-ref-snapshot-id', ref: 'master', 'snapshot-id': null }],
        updates: [
          { action: 'add-snapshot', snapshot: first },
          { action: 'set-snapshot-ref', 'ref-name': 'master', type: 'branch', 'snapshot-id': BIG_ID },
        ],
      });
      expect(committed.status).toBe(200);
      expect(committed.text).toContain(`"current-snapshot-id":${BIG_ID}`);
      expect(committed.body['metadata-location']).toMatch(/\/00001-[0-9a-f-]{36}\.metadata\.json$/);
      const second = snapshot({ 'sequence-number': 2, 'parent-snapshot-id': BIG_ID });
      const orphan = snapshot({ 'sequence-number': 3 });
      expect(
        (
          await request('POST', url, {
            requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': BIG_ID }],
            updates: [
              { action: 'add-snapshot', snapshot: second },
              {
                action: 'set-snapshot-ref',
                'ref-name': 'main',
                type: 'branch',
                'snapshot-id': second['snapshot-id'],
              },
              { action: 'add-snapshot', snapshot: orphan },
            ],
          })
        ).status,
      ).toBe(200);
      const all = await request('GET', url);
      expect(all.body.metadata.snapshots).toHaveLength(3);
      expect(Object.keys(all.body.metadata.refs)).toEqual(['main']);
      expect(all.body.metadata['metadata-log']).toHaveLength(2);
      const refsOnly = await request('GET', `${url}?snapshots=refs`);
      expect(
        refsOnly.body.metadata.snapshots.map((s: { 'snapshot-id': unknown }) => s['snapshot-id']),
      ).toEqual([second['snapshot-id']]);
    });

    it('lets exactly one of 8 concurrent commits on the same base win; the rest get 409 CommitFailedException', async () => {
      const levels = await freshNamespace();
      await createTable(levels);
      const url = `${ns(...levels)}/tables/events`;
      const results = await Promise.all(
        Array.from({ length: 8 }, () => {
          const snap = snapshot();
          return request('POST', url, {
            requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }],
            updates: [
              { action: 'add-snapshot', snapshot: snap },
              {
                action: 'set-snapshot-ref',
                'ref-name': 'main',
                type: 'branch',
                'snapshot-id': snap['snapshot-id'],
              },
            ],
          });
        }),
      );
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
      for (const loser of results.filter((r) => r.status !== 200))
        expectIcebergError(loser, 409, 'CommitFailedException');
      expect((await request('GET', url)).body.metadata.snapshots).toHaveLength(1);
    });

    it('rejects a commit whose requirement no longer holds with 409, changing nothing', async () => {
      const levels = await freshNamespace();
      const table = await createTable(levels);
      const url = `${ns(...levels)}/tables/events`;
      const stale = await request('POST', url, {
        requirements: [{ type: 'assert-current-schema-id', 'current-schema-id': 4 }],
        updates: [{ action: 'set-properties', updates: { x: '1' } }],
      });
      expectIcebergError(stale, 409, 'CommitFailedException');
      expect((await request('GET', url)).body['metadata-location']).toBe(table['metadata-location']);
    });

    it('deletes metadata files that leave the log only when the table asks for it', async () => {
      const levels = await freshNamespace();
      const commitTimes = async (name: string, properties: Record<string, string>, times: number) => {
        const table = await createTable(levels, name);
        const url = `${ns(...levels)}/tables/${name}`;
        for (let i = 0; i < times; i++)
          expect(
            (
              await request('POST', url, {
                requirements: [],
                updates: [{ action: 'set-properties', updates: { ...properties, round: String(i) } }],
              })
            ).status,
          ).toBe(200);
        const loaded = await request('GET', url);
        return { files: await metadataFiles(table.metadata.location), loaded: loaded.body };
      };
      const cleaned = await commitTimes(
        'cleaned',
        { 'write.metadata.delete-after-commit.enabled': 'true', 'write.metadata.previous-versions-max': '2' },
        5,
      );
      // The current file and the two the log still names; the three older ones are gone.
      expect(cleaned.loaded.metadata['metadata-log']).toHaveLength(2);
      const bucket = /^s3:\/\/([^/]+)\//.exec(cleaned.loaded['metadata-location'])?.[1];
      expect(cleaned.files.map((key) => `s3://${bucket}/${key}`).sort()).toEqual(
        [
          cleaned.loaded['metadata-location'],
          ...cleaned.loaded.metadata['metadata-log'].map(
            (e: { 'metadata-file': string }) => e['metadata-file'],
          ),
        ].sort(),
      );
      const kept = await commitTimes('kept', { 'write.metadata.previous-versions-max': '2' }, 5);
      expect(kept.loaded.metadata['metadata-log']).toHaveLength(2);
      expect(kept.files).toHaveLength(6);
    });

    it('leaves no visible change when the process dies between writing the file and the swap', async () => {
      const levels = await freshNamespace();
      const table = await createTable(levels);
      const url = `${ns(...levels)}/tables/events`;
      const crash = vi
        .spyOn(TablesRepository.prototype, 'swap')
        .mockRejectedValueOnce(new Error('connection to postgres://u:pw@db lost'));
      try {
        const failed = await request('POST', url, {
          updates: [{ action: 'set-properties', updates: { x: '1' } }],
        });
        expectIcebergError(failed, 500, 'InternalServerError');
        expect(failed.text).not.toContain('postgres://');
      } finally {
        crash.mockRestore();
      }
      expect(await metadataFiles(table.metadata.location)).toHaveLength(2);
      const after = await request('GET', url);
      expect(after.body['metadata-location']).toBe(table['metadata-location']);
      expect(after.body.metadata.properties).toEqual({});
      const retried = await request('POST', url, {
        updates: [{ action: 'set-properties', updates: { x: '1' } }],
      });
      expect(retried.status).toBe(200);
      expect(retried.body.metadata.properties).toEqual({ x: '1' });
    });

    it('renames within the tenant, refusing an existing destination', async () => {
      const levels = await freshNamespace();
      await createTable(levels, 'a');
      await createTable(levels, 'b');
      const rename = (from: string, to: string) =>
        request('POST', '/v1/warehouse/tables/rename', {
          source: { namespace: levels, name: from },
          destination: { namespace: levels, name: to },
        });
      expectIcebergError(await rename('a', 'b'), 409, 'AlreadyExistsException');
      expectIcebergError(await rename('zz', 'c'), 404, 'NoSuchTableException');
      expect((await rename('a', 'c')).status).toBe(204);
      expect((await request('HEAD', `${ns(...levels)}/tables/c`)).status).toBe(204);
    });

    it('drops with purge, deleting the files, and registers an existing metadata file', async () => {
      const levels = await freshNamespace();
      const kept = await createTable(levels, 'kept');
      expect((await request('DELETE', `${ns(...levels)}/tables/kept`)).status).toBe(204);
      expect(await metadataFiles(kept.metadata.location)).toHaveLength(1);
      const registered = await request('POST', `${ns(...levels)}/register`, {
        name: 'again',
        'metadata-location': kept['metadata-location'],
      });
      expect(registered.status).toBe(200);
      expect(registered.body.metadata['table-uuid']).toBe(kept.metadata['table-uuid']);
      const twin = { name: 'twin', 'metadata-location': kept['metadata-location'] };
      expect((await request('POST', `${ns(...levels)}/register`, twin)).status).toBe(200);
      // Purging one of two tables on the same files leaves the files to the other.
      expect((await request('DELETE', `${ns(...levels)}/tables/again?purgeRequested=true`)).status).toBe(204);
      expect(await metadataFiles(kept.metadata.location)).toHaveLength(1);
      expect((await request('DELETE', `${ns(...levels)}/tables/twin?purgeRequested=true`)).status).toBe(204);
      expect(await metadataFiles(kept.metadata.location)).toHaveLength(0);
      expectIcebergError(
        await request('POST', `${ns(...levels)}/register`, {
          name: 'gone',
          'metadata-location': kept['metadata-location'],
        }),
        404,
        'NotFoundException',
      );
    });

    it('accepts a metrics report for a table', async () => {
      const levels = await freshNamespace();
      await createTable(levels);
      const report = { 'report-type': 'scan-report', 'table-name': 'events', 'snapshot-id': 1, metrics: {} };
      expect((await request('POST', `${ns(...levels)}/tables/events/metrics`, report)).status).toBe(204);
    });
  });

  describe('transactions', () => {
    const appendTo = (levels: string[], name: string, parent: bigint | number | null) => {
      const snap = snapshot({ 'sequence-number': 1 });
      return {
        identifier: { namespace: levels, name },
        requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parent }],
        updates: [
          { action: 'add-snapshot', snapshot: snap },
          {
            action: 'set-snapshot-ref',
            'ref-name': 'main',
            type: 'branch',
            'snapshot-id': snap['snapshot-id'],
          },
        ],
      };
    };

    it('commits changes to several tables together', async () => {
      const levels = await freshNamespace();
      await createTable(levels, 'a');
      await createTable(levels, 'b');
      const committed = await request('POST', '/v1/warehouse/transactions/commit', {
        'table-changes': [appendTo(levels, 'a', null), appendTo(levels, 'b', null)],
      });
      expect(committed.status).toBe(204);
      for (const name of ['a', 'b'])
        expect(
          (await request('GET', `${ns(...levels)}/tables/${name}`)).body.metadata.snapshots,
        ).toHaveLength(1);
    });

    it('applies nothing when one table of the transaction fails its requirement', async () => {
      const levels = await freshNamespace();
      const a = await createTable(levels, 'a');
      await createTable(levels, 'b');
      const failed = await request('POST', '/v1/warehouse/transactions/commit', {
        'table-changes': [appendTo(levels, 'a', null), appendTo(levels, 'b', 12345)],
      });
      expectIcebergError(failed, 409, 'CommitFailedException');
      expect((await request('GET', `${ns(...levels)}/tables/a`)).body['metadata-location']).toBe(
        a['metadata-location'],
      );
    });

    it('applies nothing when a later table loses the compare-and-swap', async () => {
      const levels = await freshNamespace();
      const a = await createTable(levels, 'a');
      await createTable(levels, 'b');
      const swap = TablesRepository.prototype.swap;
      let calls = 0;
      const race = vi.spyOn(TablesRepository.prototype, 'swap').mockImplementation(async function (
        this: TablesRepository,
        ...args
      ) {
        calls += 1;
        return calls === 2 ? false : swap.apply(this, args);
      });
      try {
        const failed = await request('POST', '/v1/warehouse/transactions/commit', {
          'table-changes': [appendTo(levels, 'a', null), appendTo(levels, 'b', null)],
        });
        expectIcebergError(failed, 409, 'CommitFailedException');
      } finally {
        race.mockRestore();
      }
      expect((await request('GET', `${ns(...levels)}/tables/a`)).body['metadata-location']).toBe(
        a['metadata-location'],
      );
    });

    it("refuses a table named twice and another tenant's table", async () => {
      const levels = await freshNamespace();
      await createTable(levels, 'a');
      expectIcebergError(
        await request('POST', '/v1/warehouse/transactions/commit', {
          'table-changes': [appendTo(levels, 'a', null), appendTo(levels, 'a', null)],
        }),
        400,
        'BadRequestException',
      );
      expectIcebergError(
        await request(
          'POST',
          '/v1/warehouse/transactions/commit',
          { 'table-changes': [appendTo(levels, 'a', null)] },
          GLOBEX_TOKEN,
        ),
        403,
        'ForbiddenException',
      );
    });
  });

  describe('views', () => {
    const viewRequest = (name: string, sql = 'SELECT 1') => ({
      name,
      schema: { type: 'struct', fields: [{ id: 1, name: 'one', required: false, type: 'int' }] },
      'view-version': {
        'version-id': 1,
        'timestamp-ms': 1,
        'schema-id': 0,
        summary: {},
        representations: [{ type: 'sql', sql, dialect: 'trino' }],
        'default-namespace': [],
      },
      properties: {},
    });

    it('replaces a view by a commit, checking its uuid, and keeps a version log', async () => {
      const levels = await freshNamespace();
      const created = await request('POST', `${ns(...levels)}/views`, viewRequest('v'));
      expect(created.status).toBe(200);
      const uuid = created.body.metadata['view-uuid'];
      const url = `${ns(...levels)}/views/v`;
      const version = { ...viewRequest('v', 'SELECT 2')['view-version'], 'version-id': 2, 'schema-id': -1 };
      const replaced = await request('POST', url, {
        requirements: [{ type: 'assert-view-uuid', uuid }],
        updates: [
          {
            action: 'add-schema',
            schema: {
              type: 'struct',
              'schema-id': 1,
              fields: [{ id: 1, name: 'two', required: false, type: 'int' }],
            },
          },
          { action: 'add-view-version', 'view-version': version },
          { action: 'set-current-view-version', 'view-version-id': -1 },
        ],
      });
      expect(replaced.status).toBe(200);
      expect(replaced.body['metadata-location']).toMatch(/\/00001-[0-9a-f-]{36}\.metadata\.json$/);
      expect(replaced.body.metadata['current-version-id']).toBe(2);
      expect(
        replaced.body.metadata['version-log'].map((e: { 'version-id': number }) => e['version-id']),
      ).toEqual([1, 2]);
      expectIcebergError(
        await request('POST', url, {
          requirements: [{ type: 'assert-view-uuid', uuid: '00000000-0000-4000-8000-000000000000' }],
          updates: [],
        }),
        409,
        'CommitFailedException',
      );
      expect((await request('GET', url)).body.metadata['current-version-id']).toBe(2);
    });

    it('shares names with tables, renames and registers views', async () => {
      const levels = await freshNamespace();
      await createTable(levels, 'taken');
      expectIcebergError(
        await request('POST', `${ns(...levels)}/views`, viewRequest('taken')),
        409,
        'AlreadyExistsException',
      );
      const created = await request('POST', `${ns(...levels)}/views`, viewRequest('v'));
      expectIcebergError(await request('GET', `${ns(...levels)}/views/taken`), 404, 'NoSuchViewException');
      expectIcebergError(await request('GET', `${ns(...levels)}/tables/v`), 404, 'NoSuchTableException');
      const rename = await request('POST', '/v1/warehouse/views/rename', {
        source: { namespace: levels, name: 'v' },
        destination: { namespace: levels, name: 'w' },
      });
      expect(rename.status).toBe(204);
      expect((await request('HEAD', `${ns(...levels)}/views/w`)).status).toBe(204);
      const registered = await request('POST', `${ns(...levels)}/register-view`, {
        name: 'back',
        'metadata-location': created.body['metadata-location'],
      });
      expect(registered.status).toBe(200);
      // Dropping one of two views on the same files leaves the files to the other.
      expect((await request('DELETE', `${ns(...levels)}/views/w`)).status).toBe(204);
      expect(await metadataFiles(created.body.metadata.location)).toHaveLength(1);
      expect((await request('GET', `${ns(...levels)}/views`)).body).toEqual({
        identifiers: [{ namespace: levels, name: 'back' }],
      });
      expect((await request('DELETE', `${ns(...levels)}/views/back`)).status).toBe(204);
      expect(await metadataFiles(created.body.metadata.location)).toHaveLength(0);
    });
  });
});
