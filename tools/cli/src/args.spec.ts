import { describe, expect, it } from 'vitest';
import { DEFAULT_TOKEN, DEFAULT_URL, parseCliArgs, UsageError } from './args.ts';

const parse = (argv: string[], env: Record<string, string> = {}) => parseCliArgs(argv, env);

describe('parseCliArgs', () => {
  it('reads each device command', () => {
    expect(parse(['device', 'up', '-f', 'd.yaml']).command).toEqual({ kind: 'up', file: 'd.yaml' });
    expect(parse(['device', 'down', 'acme/press']).command).toEqual({
      kind: 'down',
      target: { tenant: 'acme', device: 'press' },
    });
    expect(parse(['device', 'down', '--file', 'd.yaml']).command).toEqual({
      kind: 'down',
      target: { file: 'd.yaml' },
    });
    expect(parse(['device', 'list', '--tenant', 'acme']).command).toEqual({ kind: 'list', tenant: 'acme' });
    expect(parse(['device', 'list']).command).toEqual({ kind: 'list', tenant: undefined });
    expect(parse(['device', 'inspect', 'acme/oven']).command).toEqual({
      kind: 'inspect',
      tenant: 'acme',
      device: 'oven',
    });
    expect(parse(['--help']).command).toEqual({ kind: 'help' });
  });

  it('takes url and token from options, then the environment, then defaults', () => {
    expect(parse(['device', 'list'])).toMatchObject({ url: DEFAULT_URL, token: DEFAULT_TOKEN });
    const env = { OPENFOUNDRY_CONNECTORS_URL: 'http://cm:4020/', OPENFOUNDRY_TOKEN: 'env-token' };
    expect(parse(['device', 'list'], env)).toMatchObject({ url: 'http://cm:4020', token: 'env-token' });
    expect(parse(['device', 'list', '--url', 'http://x:1', '--token', 't'], env)).toMatchObject({
      url: 'http://x:1',
      token: 't',
    });
  });

  it('refuses bad usage with a UsageError saying what is wrong', () => {
    const cases: [string[], RegExp][] = [
      [[], /missing command/],
      [['tenant', 'list'], /unknown command "tenant"/],
      [['device'], /one of up, down, list, inspect/],
      [['device', 'frob'], /unknown device command "frob"/],
      [['device', 'up'], /needs -f/],
      [['device', 'down'], /needs <tenant>\/<device>/],
      [['device', 'inspect', 'no-slash'], /not "no-slash"/],
      [['device', 'inspect', 'a/b', 'c'], /unexpected argument "c"/],
      [['device', 'list', '--frobnicate'], /frobnicate/],
      [['device', 'list', '--url', 'not a url'], /--url must be a URL/],
    ];
    for (const [argv, message] of cases) {
      expect(() => parse(argv), argv.join(' ')).toThrow(UsageError);
      expect(() => parse(argv), argv.join(' ')).toThrow(message);
    }
  });
});
