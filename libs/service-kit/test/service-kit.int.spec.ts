import 'reflect-metadata';
import { Writable } from 'node:stream';
import { Controller, Get, Logger, Module } from '@nestjs/common';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineService } from '../src/bootstrap.ts';
import { ensureDatabase } from '../src/database/provision.ts';
import { NotFoundError } from '../src/errors/domain-error.ts';
import { ReadinessService } from '../src/health/readiness.service.ts';
import { ZodParam } from '../src/http/zod.ts';
import { createRootLogger } from '../src/logging/logger.ts';
import {
  createTestApp,
  createTestDatabase,
  dropDatabase,
  pgAdminUrl,
  type TestDatabase,
  uniqueDatabaseName,
} from '../src/testing/index.ts';

@Controller('widgets')
class WidgetsController {
  private readonly logger = new Logger(WidgetsController.name);

  @Get(':id')
  get(@ZodParam('id', z.uuid()) id: string) {
    this.logger.log({ msg: 'looking up widget', id });
    throw new NotFoundError('WIDGET_NOT_FOUND', `widget ${id} not found`);
  }
}

@Module({ controllers: [WidgetsController] })
class WidgetsModule {}

const definition = defineService({
  manifest: {
    name: 'widget-service',
    plane: 'control',
    adr: '0005',
    port: 4999,
    database: 'widgets',
    description: 'A service that only exists in the kit tests.',
  },
  module: WidgetsModule,
  migrations: {
    '0001-widgets': {
      up: async (db: Kysely<unknown>) => {
        await db.schema
          .createTable('widgets')
          .addColumn('id', 'uuid', (c) => c.primaryKey())
          .execute();
      },
    },
  },
});

function captureLogs() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, stream };
}

describe('bootstrapped service', () => {
  let database: TestDatabase;
  const logs = captureLogs();
  let app: Awaited<ReturnType<typeof createTestApp>>;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createTestApp(definition, {
      env: { DATABASE_URL: database.url, LOG_LEVEL: 'debug' },
      logDestination: logs.stream,
    });
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('migrates the database to the latest migration before serving', async () => {
    const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(app.db);
    expect(rows.map((r) => r.name)).toEqual(['0001-widgets']);
  });

  it('answers /healthz with 200', async () => {
    const response = await app.inject('/healthz');
    expect(response.statusCode).toBe(200);
  });

  it('answers /readyz with 200 when the database answers', async () => {
    const response = await app.inject('/readyz');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ready', checks: { database: 'ok' }, failing: [] });
  });

  it('echoes a valid incoming request id and logs it on every line of the request', async () => {
    const response = await app.inject({
      url: '/widgets/4f9c8f4e-8f5e-4b8a-9d1c-3a2b1c0d9e8f',
      headers: { 'x-request-id': 'trace-42' },
    });
    expect(response.headers['x-request-id']).toBe('trace-42');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({
      error: {
        code: 'WIDGET_NOT_FOUND',
        message: 'widget 4f9c8f4e-8f5e-4b8a-9d1c-3a2b1c0d9e8f not found',
        requestId: 'trace-42',
      },
    });
    const requestLines = logs.lines.filter((line) => line.reqId === 'trace-42');
    expect(requestLines.map((line) => line.msg)).toEqual(
      expect.arrayContaining(['looking up widget', 'request completed']),
    );
    // One access line per request, at its end, with what was asked and how it was answered.
    const completed = requestLines.filter((line) => line.msg === 'request completed');
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({
      req: { method: 'GET', url: '/widgets/4f9c8f4e-8f5e-4b8a-9d1c-3a2b1c0d9e8f' },
      res: { statusCode: 404 },
      responseTime: expect.any(Number),
    });
    // Its start is a debug line (this service logs at debug), so an info log has one line a request.
    expect(completed[0]?.level).toBe('info');
    expect(requestLines.find((line) => line.msg === 'incoming request')).toMatchObject({
      level: 'debug',
      req: { method: 'GET' },
    });
    expect(requestLines.find((line) => line.msg === 'looking up widget')?.context).toBe('WidgetsController');
  });

  it('replaces an invalid request id with a generated one', async () => {
    const response = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'bad id with spaces' } });
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('rejects a malformed path parameter with 400 and field errors', async () => {
    const response = await app.inject('/widgets/not-a-uuid');
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ path: '', location: 'params', message: expect.any(String) }],
    });
  });

  it('answers an unknown route with the shared error shape', async () => {
    const response = await app.inject('/nowhere');
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('ROUTE_NOT_FOUND');
  });

  it('masks the database password in the logged config', () => {
    const configLine = logs.lines.find((line) => line.msg === 'config loaded');
    expect(JSON.stringify(configLine)).not.toContain(':openfoundry@');
    expect(JSON.stringify(configLine)).toContain(':***@');
  });

  it('answers /readyz with 503 once shutdown began', async () => {
    const other = await createTestApp(definition, { env: { DATABASE_URL: database.url } });
    try {
      other.app.get(ReadinessService).markShuttingDown();
      const response = await other.inject('/readyz');
      expect(response.statusCode).toBe(503);
      expect(response.json().failing).toEqual(['shutdown']);
    } finally {
      await other.close();
    }
  });
});

describe('readiness without a database', () => {
  it('answers /readyz with 503 naming the database check', async () => {
    const app = await createTestApp(definition, {
      env: { DATABASE_URL: 'postgres://nobody:nothing@127.0.0.1:1/nothing' },
      migrate: false,
    });
    try {
      const response = await app.inject('/readyz');
      expect(response.statusCode).toBe(503);
      expect(response.json()).toEqual({
        status: 'not_ready',
        checks: { database: 'failing' },
        failing: ['database'],
      });
      expect((await app.inject('/healthz')).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe(ensureDatabase.name, () => {
  const name = uniqueDatabaseName('of_prov');
  const url = (() => {
    const u = new URL(pgAdminUrl());
    u.username = name;
    u.password = 'secret-pw';
    u.pathname = `/${name}`;
    return u.toString();
  })();
  const logger = createRootLogger({ service: 'test', level: 'silent' });

  afterAll(() => dropDatabase(name, name));

  it('creates the role and database once even when several starters race', async () => {
    await Promise.all([1, 2, 3].map(() => ensureDatabase(pgAdminUrl(), url, logger)));
    await ensureDatabase(pgAdminUrl(), url, logger);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query('select current_user as user, current_database() as db');
    await client.end();
    expect(rows[0]).toEqual({ user: name, db: name });
  });
});
