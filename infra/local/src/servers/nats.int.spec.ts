// Starts a throwaway nats-server through the runner, in its own state dir and on its own ports, so
// the shared platform server is never touched.
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, statePaths } from '../config.ts';
import { down, up } from '../runner.ts';
import { NATS_AUTH_FILE } from './nats.ts';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function throwawayEnv(): Promise<NodeJS.ProcessEnv> {
  return {
    ...process.env,
    OPENFOUNDRY_STATE: mkdtempSync(join(tmpdir(), 'of-nats-')),
    OPENFOUNDRY_NATS_PORT: String(await freePort()),
    OPENFOUNDRY_NATS_MONITOR_PORT: String(await freePort()),
  };
}

const started: NodeJS.ProcessEnv[] = [];

afterEach(async () => {
  for (const env of started.splice(0)) await down({ servers: ['nats'], env });
});

describe('nats authorization', () => {
  it('starts with only the admin user, who may use JetStream, and refuses anonymous clients', async () => {
    const env = await throwawayEnv();
    started.push(env);
    await up({ servers: ['nats'], env });
    const config = loadConfig(env);
    const servers = `127.0.0.1:${config.ports.nats}`;

    const authFile = join(statePaths(config).conf('nats'), NATS_AUTH_FILE);
    expect(statSync(authFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(authFile, 'utf8')).toContain('"user":"openfoundry-admin"');

    const admin = await connect({ servers, user: config.nats.adminUser, pass: config.nats.adminPassword });
    try {
      const info = await (await jetstreamManager(admin)).getAccountInfo();
      expect(info.streams).toBe(0);
    } finally {
      await admin.close();
    }
    await expect(connect({ servers, reconnect: false })).rejects.toThrow(/Authorization Violation/);
  });

  it('keeps a users file that provisioning wrote when the server starts again', async () => {
    const env = await throwawayEnv();
    started.push(env);
    const config = loadConfig(env);
    const confDir = statePaths(config).conf('nats');
    mkdirSync(confDir, { recursive: true });
    writeFileSync(
      join(confDir, NATS_AUTH_FILE),
      `authorization { users: [ {"user": "someone", "password": "pw"} ] }\n`,
    );
    await up({ servers: ['nats'], env });
    const servers = `127.0.0.1:${config.ports.nats}`;
    const someone = await connect({ servers, user: 'someone', pass: 'pw' });
    await someone.close();
    await expect(
      connect({ servers, user: config.nats.adminUser, pass: config.nats.adminPassword, reconnect: false }),
    ).rejects.toThrow(/Authorization Violation/);
  });
});
