import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FORMATS, type Format } from './formats.ts';
import { DEFAULT_REGISTRY_EXPORT, type RegistrySource } from './registry.ts';
import { isKnownSelector } from './rules.ts';

export const USAGE = `usage: bus-lint [--root <dir>] [--format text|json|sarif] [--rule <id>]... [--ignore <id>]...
                [--registry <module>#<export>] [--output <file>]

  --root      the repository to check (default: the repository bus-lint lives in)
  --format    text (default), json (an array of findings) or sarif (SARIF 2.1.0)
  --rule      report only this rule; repeatable; "registry" selects every registry/<code>
  --ignore    drop this rule; repeatable
  --registry  the registry module and export (default: <root>/infra/bus/src/platform.ts#${DEFAULT_REGISTRY_EXPORT})
  --output    write the report to this file instead of standard output

exit status: 0 no errors (warnings allowed), 1 errors found, 2 usage or setup error`;

export interface CliOptions {
  readonly root: string;
  readonly format: Format;
  readonly rules: string[];
  readonly ignore: string[];
  readonly registry: RegistrySource | undefined;
  readonly output: string | undefined;
  readonly help: boolean;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** tools/bus-lint/src → the repository root, so `npm run lint` inside the package checks the whole repository. */
export const DEFAULT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export function parseCliArgs(argv: readonly string[], cwd: string = process.cwd()): CliOptions {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const format = values.format ?? 'text';
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got "${format}"`);
  }
  const rules = values.rule ?? [];
  const ignore = values.ignore ?? [];
  for (const selector of [...rules, ...ignore]) {
    if (!isKnownSelector(selector)) throw new UsageError(`unknown rule "${selector}"`);
  }
  return {
    root: values.root ? resolve(cwd, values.root) : DEFAULT_ROOT,
    format: format as Format,
    rules,
    ignore,
    registry: values.registry === undefined ? undefined : parseRegistry(values.registry, cwd),
    output: values.output ? resolve(cwd, values.output) : undefined,
    help: values.help ?? false,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      root: { type: 'string' },
      format: { type: 'string', short: 'f' },
      rule: { type: 'string', multiple: true },
      ignore: { type: 'string', multiple: true },
      registry: { type: 'string' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** `<module>#<export>`; a path is taken relative to the working directory, a package name as is. */
function parseRegistry(value: string, cwd: string): RegistrySource {
  const hash = value.lastIndexOf('#');
  const module = hash >= 0 ? value.slice(0, hash) : value;
  const exportName = hash >= 0 ? value.slice(hash + 1) : DEFAULT_REGISTRY_EXPORT;
  if (module === '' || exportName === '')
    throw new UsageError(`--registry must be <module>#<export>, got "${value}"`);
  const isPath = module.startsWith('.') || module.startsWith('/') || /\.[cm]?[jt]s$/.test(module);
  return { module: isPath ? resolve(cwd, module) : module, exportName };
}
