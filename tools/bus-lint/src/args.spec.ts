import { describe, expect, it } from 'vitest';
import { DEFAULT_ROOT, parseCliArgs, UsageError } from './args.ts';

describe('parseCliArgs', () => {
  it('defaults to the repository bus-lint lives in, as text, with every rule', () => {
    expect(parseCliArgs([], '/elsewhere')).toEqual({
      root: DEFAULT_ROOT,
      format: 'text',
      rules: [],
      ignore: [],
      registry: undefined,
      output: undefined,
      help: false,
    });
    expect(DEFAULT_ROOT).not.toMatch(/tools\/bus-lint/);
  });

  it('resolves paths against the working directory and repeats --rule and --ignore', () => {
    const options = parseCliArgs(
      [
        '--root',
        'repo',
        '--format',
        'sarif',
        '--rule',
        'not-owner',
        '--rule',
        'registry',
        '--ignore',
        'manifest',
        '-o',
        'out.sarif',
      ],
      '/work',
    );
    expect(options).toMatchObject({
      root: '/work/repo',
      format: 'sarif',
      rules: ['not-owner', 'registry'],
      ignore: ['manifest'],
      output: '/work/out.sarif',
    });
  });

  it('splits --registry into module and export; a path is resolved, a package name is kept', () => {
    expect(parseCliArgs(['--registry', './bus/platform.ts#registry'], '/work').registry).toEqual({
      module: '/work/bus/platform.ts',
      exportName: 'registry',
    });
    expect(parseCliArgs(['--registry', '@openfoundry/bus-registry'], '/work').registry).toEqual({
      module: '@openfoundry/bus-registry',
      exportName: 'platformRegistry',
    });
  });

  it.each([
    [['--format', 'xml'], '--format must be one of text, json, sarif'],
    [['--ignore', 'registry/'], 'unknown rule "registry/"'],
    [['--registry', 'platform.ts#'], '--registry must be <module>#<export>'],
    [['--verbose'], "Unknown option '--verbose'"],
  ])('rejects %j', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(UsageError);
    expect(() => parseCliArgs(argv)).toThrow(message);
  });
});
