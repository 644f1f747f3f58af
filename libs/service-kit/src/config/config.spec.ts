import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadConfig, maskConfig, maskUrl, tenantTokensSchema } from './config.ts';

const env = (extra: Record<string, string> = {}) => ({
  DATABASE_URL: 'postgres://svc:pw@127.0.0.1:5432/svc',
  ...extra,
});

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe(loadConfig.name, () => {
  it('applies the common defaults', () => {
    const config = loadConfig(undefined, env());
    expect(config).toMatchObject({ HOST: '127.0.0.1', LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: 10_000 });
    expect(config.PORT).toBeUndefined();
  });

  it('takes the port default given by the manifest', () => {
    expect(loadConfig(undefined, env(), { PORT: '4010' }).PORT).toBe(4010);
  });

  it('merges the service schema over the common one', () => {
    const config = loadConfig(z.object({ FEATURE: z.coerce.number().default(3) }), env({ FEATURE: '7' }));
    expect(config.FEATURE).toBe(7);
  });

  it('names a non-numeric port and the value it got', () => {
    expect(problemsOf(() => loadConfig(undefined, env({ PORT: 'abc' })))).toEqual([
      'PORT must be a number (got "abc")',
    ]);
  });

  it('names every bad variable at once', () => {
    const problems = problemsOf(() => loadConfig(undefined, { PORT: 'x', LOG_LEVEL: 'loud' }));
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/PORT must be a number/);
    expect(problems.join('\n')).toMatch(/LOG_LEVEL must be one of/);
    expect(problems.join('\n')).toMatch(/DATABASE_URL is required/);
  });

  it('prefixes the error message with "config error:"', () => {
    expect(() => loadConfig(undefined, env({ PORT: 'abc' }))).toThrow(
      /^config error: PORT must be a number \(got "abc"\)$/,
    );
  });

  it('never echoes the password of a bad URL', () => {
    const problems = problemsOf(() => loadConfig(undefined, { DATABASE_URL: 'mysql://u:hunter2@h/db' }));
    expect(problems.join()).not.toContain('hunter2');
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig(undefined, env({ LOG_LEVEL: '' })).LOG_LEVEL).toBe('info');
  });
});

describe(maskConfig.name, () => {
  it('hides secret-named values and URL passwords', () => {
    const masked = maskConfig({
      DATABASE_URL: 'postgres://svc:s3cret@127.0.0.1:5432/svc',
      API_TOKEN: 'abc',
      DB_PASSWORD: 'pw',
      SIGNING_KEY: 'k',
      HOST: '127.0.0.1',
    });
    expect(masked).toEqual({
      DATABASE_URL: 'postgres://svc:***@127.0.0.1:5432/svc',
      API_TOKEN: '***',
      DB_PASSWORD: '***',
      SIGNING_KEY: '***',
      HOST: '127.0.0.1',
    });
  });
});

describe(maskUrl.name, () => {
  it('leaves a URL without a password alone', () => {
    expect(maskUrl('postgres://svc@127.0.0.1/svc')).toBe('postgres://svc@127.0.0.1/svc');
  });
});

describe('tenantTokensSchema', () => {
  it('maps tokens to tenants and refuses malformed lists', () => {
    const schema = tenantTokensSchema();
    expect(schema.parse('a=acme, b=globex')).toEqual(
      new Map([
        ['a', 'acme'],
        ['b', 'globex'],
      ]),
    );
    expect(schema.safeParse('a=Acme').success).toBe(false);
    expect(schema.safeParse('a=acme=x').success).toBe(false);
    expect(schema.safeParse('a').success).toBe(false);
    expect(schema.safeParse('a=*').success).toBe(false);
  });
  it('accepts * for every tenant only when asked to', () => {
    expect(tenantTokensSchema({ allowAllTenants: true }).parse('ops=*')).toEqual(new Map([['ops', '*']]));
  });
});
