// Against the running local nats-server. Each run provisions its own scope with services named
// `ctl<random>-…`, so the platform's users and other test files are untouched.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { loadConfig, readPlatformEnv, statePaths } from '@openfoundry/infra-local';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DAY_MS, defineRegistry, payloadSchema, type Registry, stream, subject } from '../model.ts';
import { validateRegistry } from '../validate.ts';
import { CredentialStore } from './credentials.ts';
import { deprovisionNats, provisionNats } from './nats.ts';
import { authFile, reloadNats, renderAuthConf, scopeFile } from './nats-auth.ts';

function natsServerBinary(): string {
  const binary = [join(loadConfig().cacheDir, 'bin', 'nats-server'), '/usr/bin/nats-server'].find(existsSync);
  if (!binary) throw new Error('no nats-server binary: run npm run infra -- up nats');
  return binary;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function fixture(prefix: string) {
  const a = `${prefix}-a-service`;
  const b = `${prefix}-b-service`;
  const streamName = `${prefix.toUpperCase()}_A`;
  const schema = payloadSchema(`${prefix}-a.thing`, 1, z.object({ n: z.number() }));
  const build = (maxMsgs?: number): Registry =>
    defineRegistry({
      topics: [],
      streams: [
        stream({
          name: streamName,
          owner: a,
          description: 'fixture signals',
          ...(maxMsgs ? { maxMsgs } : {}),
          consumers: [
            { service: b, durable: `${prefix}-b-things`, ackWaitMs: 2_000, maxDeliver: 3, backoffMs: [100] },
          ],
        }),
      ],
      subjects: [
        subject({
          name: `${prefix}-a.{tenant}.thing.changed`,
          owner: a,
          kind: 'signal',
          description: 'a thing changed',
          schema,
          stream: streamName,
        }),
      ],
    });
  return { a, b, streamName, services: [a, b], registry: build(), withMaxMsgs: build };
}

const scope = `ctl${randomBytes(3).toString('hex')}`;
const f = fixture(scope);
const credentials = new CredentialStore();
const env = readPlatformEnv();
const admin = () =>
  connect({
    servers: env.OPENFOUNDRY_NATS_URL,
    user: env.OPENFOUNDRY_NATS_ADMIN_USER,
    pass: env.OPENFOUNDRY_NATS_ADMIN_PASSWORD,
  });
const as = (service: string) => {
  const { user, password } = credentials.get(service).nats;
  return connect({
    servers: env.OPENFOUNDRY_NATS_URL,
    user,
    pass: password,
    inboxPrefix: `_INBOX.${service}`,
    reconnect: false,
  });
};

/** Publishes on a core connection and returns the server's refusal, if it sent one. */
async function serverRefusal(nc: NatsConnection, subjectName: string): Promise<string | undefined> {
  let refusal: string | undefined;
  const watching = (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'error' && status.error.message.includes(subjectName))
        refusal = status.error.message;
    }
  })();
  nc.publish(subjectName, 'x');
  await nc.flush();
  await new Promise((resolve) => setImmediate(resolve));
  void watching;
  return refusal;
}

afterAll(async () => {
  await deprovisionNats(scope, { registry: f.registry });
});

describe(provisionNats.name, () => {
  it('accepts only a registry the validator accepts', () => {
    expect(validateRegistry(f.registry, f.services)).toEqual([]);
  });

  it('creates the streams, consumers and users, then changes nothing when run again', async () => {
    const first = await provisionNats(f.registry, { scope, services: f.services, credentials });
    expect(first).toEqual({
      streamsCreated: [f.streamName],
      streamsUpdated: [],
      consumersCreated: [`${f.streamName}/${scope}-b-things`],
      consumersUpdated: [],
      users: [f.a, f.b],
      reloaded: true,
    });
    const conf = readFileSync(authFile(statePaths(loadConfig()).conf('nats')), 'utf8');
    const nc = await admin();
    const created = (await (await jetstreamManager(nc)).streams.info(f.streamName)).created;

    const second = await provisionNats(f.registry, { scope, services: f.services, credentials });
    expect(second).toEqual({ ...first, streamsCreated: [], consumersCreated: [], reloaded: false });
    expect(readFileSync(authFile(statePaths(loadConfig()).conf('nats')), 'utf8')).toBe(conf);
    expect((await (await jetstreamManager(nc)).streams.info(f.streamName)).created).toBe(created);
    await nc.close();
  });

  it('gives streams the ADR 0005 defaults and consumers their declared delivery settings', async () => {
    const nc = await admin();
    try {
      const jsm = await jetstreamManager(nc);
      const { config } = await jsm.streams.info(f.streamName);
      expect(config).toMatchObject({
        subjects: [`${scope}-a.*.thing.changed`],
        storage: 'file',
        retention: 'limits',
        discard: 'old',
        max_age: 7 * DAY_MS * 1_000_000,
        max_msgs: 1_000_000,
        duplicate_window: 120_000_000_000,
        num_replicas: 1,
      });
      const consumer = await jsm.consumers.info(f.streamName, `${scope}-b-things`);
      expect(consumer.config).toMatchObject({
        ack_policy: 'explicit',
        ack_wait: 2_000_000_000,
        max_deliver: 3,
      });
    } finally {
      await nc.close();
    }
  });

  it('updates a stream whose registry entry changed, and only then', async () => {
    const changed = await provisionNats(f.withMaxMsgs(500), { scope, services: f.services, credentials });
    expect(changed.streamsUpdated).toEqual([f.streamName]);
    const nc = await admin();
    expect((await (await jetstreamManager(nc)).streams.info(f.streamName)).config.max_msgs).toBe(500);
    await nc.close();
    const back = await provisionNats(f.registry, { scope, services: f.services, credentials });
    expect(back.streamsUpdated).toEqual([f.streamName]);
  });

  it('writes an auth.conf that nats-server itself accepts', () => {
    const config = loadConfig();
    const checked = spawnSync(
      natsServerBinary(),
      ['-t', '-c', join(statePaths(config).conf('nats'), 'nats-server.conf')],
      {
        encoding: 'utf8',
      },
    );
    expect(`${checked.stdout}${checked.stderr}`).toMatch(/is valid/);
    expect(checked.status).toBe(0);
  });
});

describe('the generated permissions, as the server enforces them', () => {
  it('lets the owner store its subject and refuses it anything else', async () => {
    const nc = await as(f.a);
    try {
      const ack = await jetstream(nc).publish(`${scope}-a.acme.thing.changed`, '{"n":1}');
      expect(ack.stream).toBe(f.streamName);
      expect(await serverRefusal(nc, `${scope}-b.acme.thing.changed`)).toMatch(
        `Permissions Violation for Publish to "${scope}-b.acme.thing.changed"`,
      );
    } finally {
      await nc.close();
    }
  });

  it('refuses a service stream administration, even of its own stream', async () => {
    const nc = await as(f.a);
    try {
      const jsm = await jetstreamManager(nc, { checkAPI: false });
      await expect(jsm.streams.delete(f.streamName)).rejects.toThrow(/Permissions Violation/);
      await expect(
        jsm.streams.add({ name: `${f.streamName}_X`, subjects: [`${scope}-a.x`] }),
      ).rejects.toThrow(/Permissions Violation/);
    } finally {
      await nc.close();
    }
  });

  it('lets the declared consumer read and ack its durable, and nobody else', async () => {
    const b = await as(f.b);
    try {
      const consumer = await jetstream(b).consumers.get(f.streamName, `${scope}-b-things`);
      const message = await consumer.next({ expires: 5_000 });
      expect(message?.json()).toEqual({ n: 1 });
      expect(await message?.ackAck()).toBe(true);
    } finally {
      await b.close();
    }
    const a = await as(f.a);
    try {
      await expect(jetstream(a).consumers.get(f.streamName, `${scope}-b-things`)).rejects.toThrow(
        /Permissions Violation/,
      );
    } finally {
      await a.close();
    }
  });
});

describe(deprovisionNats.name, () => {
  it('removes the scope: its users can no longer connect and its streams are gone', async () => {
    const other = `${scope}x`;
    const g = fixture(other);
    await provisionNats(g.registry, { scope: other, services: g.services, credentials });
    await deprovisionNats(other, { registry: g.registry });
    expect(existsSync(scopeFile(statePaths(loadConfig()).conf('nats'), other))).toBe(false);
    await expect(as(g.a)).rejects.toThrow(/Authorization Violation/);
    const nc = await admin();
    try {
      await expect((await jetstreamManager(nc)).streams.info(g.streamName)).rejects.toThrow(
        /stream not found/,
      );
    } finally {
      await nc.close();
    }
    // The scope under test keeps its users.
    await (await as(f.a)).close();
  });
});

describe(reloadNats.name, () => {
  it('waits for a good reload, and fails with the server’s complaint when it rejects the users', async () => {
    // A throwaway server of our own: a rejected reload must not disturb the shared one.
    const dir = mkdtempSync(join(tmpdir(), 'of-nats-reload-'));
    const [port, monitor] = [await freePort(), await freePort()];
    const paths = {
      pidFile: join(dir, 'nats.pid'),
      logFile: join(dir, 'nats.log'),
      monitorUrl: `http://127.0.0.1:${monitor}`,
    };
    writeFileSync(
      join(dir, 'nats-server.conf'),
      `listen: 127.0.0.1:${port}\nhttp: 127.0.0.1:${monitor}\ninclude ./auth.conf\n`,
    );
    const adminUser = { user: 'admin', password: 'pw' };
    writeFileSync(authFile(dir), renderAuthConf(adminUser, []));
    const server = spawn(
      natsServerBinary(),
      ['-c', join(dir, 'nats-server.conf'), '-P', paths.pidFile, '-l', paths.logFile],
      { stdio: 'ignore' },
    );
    try {
      for (
        let i = 0;
        i < 200 &&
        !(await fetch(`${paths.monitorUrl}/healthz`).then(
          (r) => r.ok,
          () => false,
        ));
        i++
      ) {
        await sleep(25);
      }
      const servers = `127.0.0.1:${port}`;
      writeFileSync(
        authFile(dir),
        renderAuthConf(adminUser, [{ scope: 't', users: [{ user: 'someone', password: 'x' }] }]),
      );
      await reloadNats(paths);
      await (await connect({ servers, user: 'someone', pass: 'x' })).close();

      writeFileSync(
        authFile(dir),
        'authorization { users: [ {"user": "dup", "password": "a"}, {"user": "dup", "password": "b"} ] }\n',
      );
      await expect(reloadNats({ ...paths, timeoutMs: 1_000 })).rejects.toThrow(
        /did not reload.*Duplicate user "dup"/,
      );
      // The server kept the users it had.
      await (await connect({ servers, user: 'someone', pass: 'x' })).close();
    } finally {
      server.kill('SIGTERM');
    }
  });
});
