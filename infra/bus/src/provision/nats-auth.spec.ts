import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  assertScopeName,
  type NatsScope,
  readScopes,
  renderAuthConf,
  scopeFile,
  usersDir,
  withUsersLock,
  writeScope,
} from './nats-auth.ts';

const admin = { user: 'openfoundry-admin', password: 'pw' };
const scope = (name: string, ...users: string[]): NatsScope => ({
  scope: name,
  users: users.map((user) => ({
    user,
    password: `${user}-pw`,
    permissions: { publish: { deny: ['>'] }, subscribe: { allow: [`_INBOX.${user}.>`] } },
  })),
});
const usersOf = (conf: string) => [...conf.matchAll(/"user":"([^"]+)"/g)].map((m) => m[1]);

describe(renderAuthConf.name, () => {
  it('puts the admin first, without permissions, then every scope in a stable order', () => {
    const conf = renderAuthConf(admin, [
      scope('zeta', 'z-service'),
      scope('alpha', 'b-service', 'a-service'),
    ]);
    expect(usersOf(conf)).toEqual(['openfoundry-admin', 'a-service', 'b-service', 'z-service']);
    expect(conf).toContain('{"user":"openfoundry-admin","password":"pw"}');
    expect(conf).toContain('"subscribe":{"allow":["_INBOX.a-service.>"]}');
    expect(
      renderAuthConf(admin, [scope('alpha', 'a-service', 'b-service'), scope('zeta', 'z-service')]),
    ).toBe(conf);
  });

  it('refuses one user name in two scopes, naming both', () => {
    expect(() => renderAuthConf(admin, [scope('a', 'x-service'), scope('b', 'x-service')])).toThrow(
      'NATS user "x-service" of scope b is already defined by scope a',
    );
    expect(() => renderAuthConf(admin, [scope('a', 'openfoundry-admin')])).toThrow(
      /already defined by the admin/,
    );
  });
});

describe('scope files', () => {
  it('round-trips scopes, readable by the owner only', () => {
    const confDir = mkdtempSync(join(tmpdir(), 'of-nats-auth-'));
    expect(readScopes(confDir)).toEqual([]);
    writeScope(confDir, scope('platform', 'tenancy-service'));
    writeScope(confDir, scope('ctl1', 'ctl1-a-service'));
    expect(readScopes(confDir).map((s) => s.scope)).toEqual(['ctl1', 'platform']);
    expect(statSync(scopeFile(confDir, 'platform')).mode & 0o777).toBe(0o600);
  });

  it.each(['Platform', '../etc', 'a b', ''])('rejects the scope name %j', (name) => {
    expect(() => assertScopeName(name)).toThrow(/must be lower-case letters/);
  });
});

describe(withUsersLock.name, () => {
  it('runs one holder at a time', async () => {
    const confDir = mkdtempSync(join(tmpdir(), 'of-nats-lock-'));
    const events: string[] = [];
    const holder = (name: string) =>
      withUsersLock(confDir, async () => {
        events.push(`${name} in`);
        await sleep(30);
        events.push(`${name} out`);
      });
    await Promise.all([holder('a'), holder('b'), holder('c')]);
    for (let i = 0; i < events.length; i += 2) {
      expect(events[i]?.replace(' in', '')).toBe(events[i + 1]?.replace(' out', ''));
    }
    expect(events).toHaveLength(6);
    expect(existsSync(join(usersDir(confDir), '.lock'))).toBe(false);
  });

  it('takes over a lock whose holder has died', async () => {
    const confDir = mkdtempSync(join(tmpdir(), 'of-nats-lock-'));
    const lock = join(usersDir(confDir), '.lock');
    mkdirSync(lock, { recursive: true });
    const dead = spawnSync(process.execPath, [
      '-e',
      'process.stdout.write(String(process.pid))',
    ]).stdout.toString();
    writeFileSync(join(lock, 'pid'), dead);
    await expect(withUsersLock(confDir, async () => 'ran', 2_000)).resolves.toBe('ran');
  });

  it('gives up on a live holder after its timeout', async () => {
    const confDir = mkdtempSync(join(tmpdir(), 'of-nats-lock-'));
    const lock = join(usersDir(confDir), '.lock');
    mkdirSync(lock, { recursive: true });
    writeFileSync(join(lock, 'pid'), String(process.pid));
    await expect(withUsersLock(confDir, async () => 'ran', 200)).rejects.toThrow(/still held after 200 ms/);
    expect(readFileSync(join(lock, 'pid'), 'utf8')).toBe(String(process.pid));
  });
});
