import { describe, expect, it } from 'vitest';
import { parseBasic, parseStaticUsers, StaticAuthProvider, TokenStore } from './auth.ts';

describe('parseBasic', () => {
  it('reads padded and unpadded base64 credentials', () => {
    const padded = Buffer.from('analyst:s3cret').toString('base64');
    expect(padded.endsWith('=')).toBe(true);
    expect(parseBasic(`Basic ${padded}`)).toEqual({ user: 'analyst', password: 's3cret' });
    expect(parseBasic(`Basic ${padded.replace(/=+$/, '')}`)).toEqual({ user: 'analyst', password: 's3cret' });
  });

  it('keeps colons inside the password and refuses other schemes', () => {
    expect(parseBasic(`Basic ${Buffer.from('a:b:c').toString('base64')}`)).toEqual({
      user: 'a',
      password: 'b:c',
    });
    expect(parseBasic('Bearer abc')).toBeUndefined();
  });
});

describe(StaticAuthProvider.name, () => {
  const users = parseStaticUsers('analyst:pw1:duckdb; admin:pw2');
  const auth = new StaticAuthProvider(users, ['duckdb', 'postgres']);

  it('grants only the listed catalogs, or every catalog when none are listed', async () => {
    expect(await auth.authenticate('analyst', 'pw1')).toEqual({ user: 'analyst', catalogs: ['duckdb'] });
    expect(await auth.authenticate('admin', 'pw2')).toEqual({
      user: 'admin',
      catalogs: ['duckdb', 'postgres'],
    });
  });

  it('refuses a wrong password and an unknown user', async () => {
    expect(await auth.authenticate('analyst', 'pw2')).toBeUndefined();
    expect(await auth.authenticate('nobody', 'pw1')).toBeUndefined();
  });

  it('rejects an entry without a password', () => {
    expect(() => parseStaticUsers('lonely')).toThrow(/name:password/);
  });
});

describe(TokenStore.name, () => {
  it('resolves issued tokens until they expire', async () => {
    const store = new TokenStore(20);
    const token = store.issue({ user: 'a', catalogs: [] });
    expect(store.resolve(token)?.user).toBe('a');
    expect(store.resolve('forged')).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(store.resolve(token)).toBeUndefined();
  });
});
