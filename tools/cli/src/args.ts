import { parseArgs } from 'node:util';

export const DEFAULT_URL = 'http://127.0.0.1:4020';
export const DEFAULT_TOKEN = 'dev-acme-token';

export const USAGE = `usage: openfoundry device up -f <devices.yaml>
       openfoundry device down <tenant>/<device> | -f <devices.yaml>
       openfoundry device list [--tenant <tenant>]
       openfoundry device inspect <tenant>/<device>
options: --url <url>      connector-management-service (env OPENFOUNDRY_CONNECTORS_URL, default ${DEFAULT_URL})
         --token <token>  bearer token (env OPENFOUNDRY_TOKEN, default ${DEFAULT_TOKEN})
         -h, --help       this text
exit codes: 0 done, 1 the service refused or could not be reached, 2 bad usage or a bad file`;

/** Bad arguments, or a devices file that cannot be read or parsed: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  /** False for problems in a file: the usage text would not help. */
  readonly showUsage: boolean;
  constructor(message: string, showUsage = true) {
    super(message);
    this.showUsage = showUsage;
  }
}

export type Command =
  | { kind: 'help' }
  | { kind: 'up'; file: string }
  | { kind: 'down'; target: { file: string } | { tenant: string; device: string } }
  | { kind: 'list'; tenant: string | undefined }
  | { kind: 'inspect'; tenant: string; device: string };

export interface Options {
  url: string;
  token: string;
  command: Command;
}

function deviceRef(value: string | undefined, verb: string): { tenant: string; device: string } {
  const match = value === undefined ? null : /^([^/\s]+)\/([^/\s]+)$/.exec(value);
  if (!match?.[1] || !match[2])
    throw new UsageError(`device ${verb} needs <tenant>/<device>${value ? `, not "${value}"` : ''}`);
  return { tenant: match[1], device: match[2] };
}

export function parseCliArgs(
  argv: readonly string[],
  env: Record<string, string | undefined> = process.env,
): Options {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const url = values.url ?? env.OPENFOUNDRY_CONNECTORS_URL ?? DEFAULT_URL;
  const token = values.token ?? env.OPENFOUNDRY_TOKEN ?? DEFAULT_TOKEN;
  try {
    new URL(url);
  } catch {
    throw new UsageError(`--url must be a URL, not "${url}"`);
  }
  const base = { url: url.replace(/\/+$/, ''), token };
  if (values.help) return { ...base, command: { kind: 'help' } };

  const [noun, verb, ...rest] = positionals;
  if (noun === undefined) throw new UsageError('missing command');
  if (noun !== 'device') throw new UsageError(`unknown command "${noun}"`);
  const extra = (allowed: number) => {
    if (rest.length > allowed) throw new UsageError(`unexpected argument "${rest[allowed]}"`);
  };
  switch (verb) {
    case 'up':
      extra(0);
      if (!values.file) throw new UsageError('device up needs -f <devices.yaml>');
      return { ...base, command: { kind: 'up', file: values.file } };
    case 'down':
      if (values.file) {
        extra(0);
        return { ...base, command: { kind: 'down', target: { file: values.file } } };
      }
      extra(1);
      return { ...base, command: { kind: 'down', target: deviceRef(rest[0], 'down') } };
    case 'list':
      extra(0);
      return { ...base, command: { kind: 'list', tenant: values.tenant } };
    case 'inspect':
      extra(1);
      return { ...base, command: { kind: 'inspect', ...deviceRef(rest[0], 'inspect') } };
    case undefined:
      throw new UsageError('device needs one of up, down, list, inspect');
    default:
      throw new UsageError(`unknown device command "${verb}"`);
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      file: { type: 'string', short: 'f' },
      tenant: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
