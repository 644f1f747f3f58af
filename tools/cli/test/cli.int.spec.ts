import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CredentialStore, credentialEnv } from '@openfoundry/bus-registry/provision';
import { readPlatformEnv } from '@openfoundry/infra-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The command against the built connector-management-service running as a real process.
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const service = fileURLToPath(
  new URL('../../../services/connector-management-service/dist/src/main.js', import.meta.url),
);
const example = fileURLToPath(new URL('../examples/devices.yaml', import.meta.url));

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

describe('openfoundry device (against the running service)', () => {
  const tenant = `cli-${randomBytes(5).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'openfoundry-cli-'));
  let url: string;
  let child: ChildProcess;
  let output = '';

  const openfoundry = (...args: string[]) => {
    const run = spawnSync(process.execPath, [cli, ...args], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', OPENFOUNDRY_CONNECTORS_URL: url, OPENFOUNDRY_TOKEN: 'cli-token' },
    });
    return { code: run.status, stdout: run.stdout, stderr: run.stderr };
  };

  beforeAll(async () => {
    expect(existsSync(service), `${service} is missing: build connector-management-service first`).toBe(true);
    const platform = readPlatformEnv();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    // One reused database (the service creates it once through the admin URL); tenants are unique per run.
    const database = new URL(platform.OPENFOUNDRY_PG_ADMIN_URL);
    database.pathname = '/of_openfoundry_cli_test';
    child = spawn(process.execPath, [service], {
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        DATABASE_URL: database.toString(),
        DATABASE_ADMIN_URL: platform.OPENFOUNDRY_PG_ADMIN_URL,
        OPENFOUNDRY_NATS_URL: platform.OPENFOUNDRY_NATS_URL,
        ...credentialEnv(new CredentialStore().get('connector-management-service')),
        CONNECTOR_TOKENS: `cli-token=${tenant},cli-admin=*`,
        CONNECTOR_REPLICA_FILTER: `^${tenant}-`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`service exited:\n${output}`);
      const status = await fetch(`${url}/readyz`).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) break;
      if (Date.now() > deadline) throw new Error(`service never became ready:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies the example file, then reports every device unchanged', () => {
    const file = join(dir, 'devices.yaml');
    writeFileSync(file, readFileSync(example, 'utf8').replaceAll('tenant: acme', `tenant: ${tenant}`));
    const first = openfoundry('device', 'up', '-f', file);
    expect(first, first.stderr).toMatchObject({ code: 0 });
    expect(first.stdout.trim().split('\n')).toEqual([
      `${tenant}/press-line-mqtt: created (revision 1)`,
      `${tenant}/oven-opcua: created (revision 1)`,
      `${tenant}/scales-http: created (revision 1)`,
    ]);
    const again = openfoundry('device', 'up', '-f', file);
    expect(again.stdout).toContain(`${tenant}/oven-opcua: unchanged (revision 1)`);
  });

  it('lists and inspects devices', () => {
    const list = openfoundry('device', 'list', '--tenant', tenant);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^DEVICE\s+PROTOCOL\s+REVISION\s+STATUS\s+REPLICAS/);
    expect(list.stdout).toMatch(new RegExp(`${tenant}/oven-opcua\\s+opcua\\s+1\\s+unassigned\\s+-`));
    // Without --tenant: everything the token may see.
    expect(openfoundry('device', 'list').stdout).toContain(`${tenant}/scales-http`);

    const inspect = openfoundry('device', 'inspect', `${tenant}/oven-opcua`);
    expect(inspect.code, inspect.stderr).toBe(0);
    expect(inspect.stdout).toContain('protocol:  opcua opc.tcp://127.0.0.1:4840/plant');
    expect(inspect.stdout).toContain('status:    unassigned');
    expect(inspect.stdout).toContain('counters:  received 0, published 0, dead-lettered 0, commands 0');
  });

  it('takes a device down, and fails with the service message for an unknown one', () => {
    expect(openfoundry('device', 'down', `${tenant}/scales-http`)).toMatchObject({
      code: 0,
      stdout: `${tenant}/scales-http: removed\n`,
    });
    const again = openfoundry('device', 'down', `${tenant}/scales-http`);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`device ${tenant}/scales-http not found (HTTP 404 DEVICE_NOT_FOUND)`);
  });

  it("reports the service's refusals: another tenant, a bad token, an invalid spec", () => {
    const other = openfoundry('device', 'inspect', 'someone-else/x');
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/HTTP 403/);
    const badToken = spawnSync(process.execPath, [cli, 'device', 'list', '--url', url, '--token', 'nope'], {
      encoding: 'utf8',
    });
    expect(badToken.status).toBe(1);
    expect(badToken.stderr).toContain('missing or unknown bearer token (HTTP 401 UNAUTHORIZED)');
    // Valid for the file's schema, refused by the service: a spec too large for an assignment.
    const points = Array.from(
      { length: 400 },
      (_, i) => `  - asset: a-${i}\n    topic: plant/${'x'.repeat(60)}/a-${i}`,
    ).join('\n');
    const file = join(dir, 'large.yaml');
    writeFileSync(file, `tenant: ${tenant}\nid: large\nprotocol: mqtt\npoints:\n${points}\n`);
    const large = openfoundry('device', 'up', '-f', file);
    expect(large.code).toBe(1);
    expect(large.stderr).toContain('DEVICE_TOO_LARGE');
  });

  it('refuses a bad file with exit code 2 before sending anything', () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, `tenant: ${tenant}\nid: broken\nprotocol: modbus\npoints: []\n`);
    const run = openfoundry('device', 'up', '-f', file);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${file}:3: document 1: protocol:`);
    expect(openfoundry('device', 'inspect', `${tenant}/broken`).code).toBe(1);
  });
});
