import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  formatEnvFile,
  loadConfig,
  parseEnvFile,
  parsePort,
  platformEnv,
  readPlatformEnv,
  repoRoot,
} from './config.ts';

describe('parsePort', () => {
  it('uses the default when the variable is unset or empty', () => {
    expect(parsePort({}, 'OPENFOUNDRY_PG_PORT', 5432)).toBe(5432);
    expect(parsePort({ OPENFOUNDRY_PG_PORT: '' }, 'OPENFOUNDRY_PG_PORT', 5432)).toBe(5432);
  });
  it('accepts an override', () => {
    expect(parsePort({ OPENFOUNDRY_PG_PORT: '15432' }, 'OPENFOUNDRY_PG_PORT', 5432)).toBe(15432);
  });
  it.each(['abc', '0', '70000', '12.5'])('rejects %s naming the variable', (raw) => {
    expect(() => parsePort({ OPENFOUNDRY_PG_PORT: raw }, 'OPENFOUNDRY_PG_PORT', 5432)).toThrow(
      /OPENFOUNDRY_PG_PORT must be a port number/,
    );
  });
});

describe('loadConfig', () => {
  it('places state in the repo and the cache in HOME by default', () => {
    const config = loadConfig({ HOME: '/home/x' });
    expect(config.stateDir).toBe(join(repoRoot(), '.openfoundry'));
    expect(config.cacheDir).toBe('/home/x/.cache/openfoundry');
    expect(config.ports).toMatchObject({
      postgres: 5432,
      nats: 4222,
      kafka: 9092,
      s3: 9000,
      redis: 6379,
      mqtt: 1883,
    });
  });
  it('honours OPENFOUNDRY_STATE, OPENFOUNDRY_CACHE and port overrides', () => {
    const config = loadConfig({
      OPENFOUNDRY_STATE: '/s',
      OPENFOUNDRY_CACHE: '/c',
      OPENFOUNDRY_NATS_PORT: '14222',
    });
    expect([config.stateDir, config.cacheDir, config.ports.nats]).toEqual(['/s', '/c', 14222]);
  });
  it('refuses two servers on one port', () => {
    expect(() => loadConfig({ OPENFOUNDRY_REDIS_PORT: '5432' })).toThrow(
      'OPENFOUNDRY_REDIS_PORT and OPENFOUNDRY_PG_PORT are both set to 5432',
    );
  });
  it('finds the monorepo root', () => {
    expect(repoRoot()).toMatch(/\/main$|[^/]$/);
    expect(loadConfig({}).servicesDir).toBe(join(repoRoot(), 'services'));
  });
});

describe('platformEnv', () => {
  it('derives client settings from the ports', () => {
    const env = platformEnv({
      OPENFOUNDRY_PG_PORT: '6543',
      OPENFOUNDRY_KAFKA_PORT: '19092',
      OPENFOUNDRY_CACHE: '/c',
    });
    expect(env.OPENFOUNDRY_PG_ADMIN_URL).toBe('postgres://openfoundry:openfoundry@127.0.0.1:6543/postgres');
    expect(env.OPENFOUNDRY_KAFKA_BROKERS).toBe('127.0.0.1:19092');
    expect(env.OPENFOUNDRY_KAFKA_SASL_MECHANISM).toBe('scram-sha-512');
    expect(env.OPENFOUNDRY_S3_ENDPOINT).toBe('http://127.0.0.1:9000');
    expect(env.OPENFOUNDRY_DUCKDB_EXTENSION_DIR).toBe('/c/duckdb-extensions');
    expect(env.OPENFOUNDRY_JAVA).toBeTruthy();
  });
  it('survives a round trip through platform.env', () => {
    const state = mkdtempSync(join(tmpdir(), 'of-state-'));
    const env = { OPENFOUNDRY_STATE: state, OPENFOUNDRY_MQTT_PORT: '11883' };
    writeFileSync(join(state, 'platform.env'), `# comment\n${formatEnvFile(platformEnv(env))}`);
    expect(readPlatformEnv(env)).toEqual(platformEnv(env));
  });
  it('tells the user to run up when platform.env is missing', () => {
    const state = mkdtempSync(join(tmpdir(), 'of-state-'));
    expect(() => readPlatformEnv({ OPENFOUNDRY_STATE: state })).toThrow(/run `npm run infra -- up` first/);
  });
  it('parses KEY=VALUE lines keeping = inside values', () => {
    expect(parseEnvFile('A=1\n\n# x\nB=postgres://u:p@h/db?x=y\n')).toEqual({
      A: '1',
      B: 'postgres://u:p@h/db?x=y',
    });
  });
});
