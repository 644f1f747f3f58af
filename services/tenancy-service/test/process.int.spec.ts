import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { topics } from '@openfoundry/bus-registry';
import { readTopic } from '@openfoundry/bus-registry/testing';
import {
  createTestDatabase,
  freePort,
  startServiceProcess,
  type TestDatabase,
  waitForReady,
} from '@openfoundry/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { busEnv } from './bus-env.ts';

// The built service as an operator runs it: a real process, real signals, real exit codes.
// `npm test` builds every package before this tier runs.
const entry = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));

const startService = (env: Record<string, string>) => startServiceProcess(entry, env);

describe('the tenancy-service process', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    expect(existsSync(entry), `${entry} is missing: build the service first`).toBe(true);
    database = await createTestDatabase('of_tenancy_proc');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('serves, then exits 0 on SIGTERM after answering the request in flight', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const run = startService({ DATABASE_URL: database.url, PORT: String(port), ...(await busEnv()) });
    await waitForReady(url, run);

    // The request is in flight once the server has its headers: send them and half the body, signal,
    // then send the rest. A graceful shutdown still answers it before the process exits.
    const body = JSON.stringify({ slug: 'in-flight-at-shutdown', name: 'In flight' });
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      `POST /tenants HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body.slice(0, 10)}`,
    );
    let reply = '';
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    run.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));
    socket.write(body.slice(10));
    await once(socket, 'close');
    expect(reply, run.output()).toMatch(/^HTTP\/1\.1 201/);
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain('shutdown complete');
    // The tenant committed during shutdown still reached the data bus: the outbox drained on exit.
    const created = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)) as { id: string };
    const records = await readTopic(topics.tenantState.name, (rs) => rs.some((r) => r.key === created.id));
    expect(records.find((r) => r.key === created.id)?.value).toMatchObject({ slug: 'in-flight-at-shutdown' });
  });

  it('refuses to start when its bus credentials are wrong, naming the bus', async () => {
    const env = await busEnv();
    const run = startService({ DATABASE_URL: database.url, ...env, OPENFOUNDRY_KAFKA_PASSWORD: 'wrong' });
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/data bus: tenancy-service cannot connect/);
  });

  it('refuses to start on bad config, naming the variable, without a stack trace', async () => {
    const run = startService({ DATABASE_URL: database.url, PORT: 'not-a-port' });
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/PORT/);
    expect(run.output()).not.toMatch(/\n\s+at /);
  });

  it('refuses to start without a database URL', async () => {
    const run = startService({});
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/DATABASE_URL/);
  });
});
