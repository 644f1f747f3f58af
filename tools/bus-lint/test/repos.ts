import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export const fixture = (name: 'violations' | 'clean') => join(here, 'fixtures', name);
export const repoRoot = resolve(here, '../../..');
export const cliPath = resolve(here, '../src/cli.ts');

export interface Expected {
  readonly rule: string;
  readonly file: string;
  readonly line: number;
}

export const key = (f: Expected) => `${f.file}:${f.line} ${f.rule}`;

/**
 * The findings a fixture's TypeScript marks with a trailing `// expect: <rule>[, <rule>]` comment,
 * so each expected finding sits next to the code that causes it.
 */
export function markedFindings(root: string): Expected[] {
  const expected: Expected[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        const file = relative(root, path).split(sep).join('/');
        for (const [i, text] of readFileSync(path, 'utf8').split('\n').entries()) {
          const rules = /\/\/ expect: ([\w/, -]+)$/.exec(text)?.[1];
          for (const rule of rules?.split(',') ?? []) expected.push({ rule: rule.trim(), file, line: i + 1 });
        }
      }
    }
  };
  walk(root);
  return expected;
}

/**
 * A writable copy of a fixture in the temp directory, with the two packages its registry imports
 * linked in, so a test can break one thing without touching the committed fixture.
 */
export function copyFixture(name: 'violations' | 'clean'): { root: string; [Symbol.dispose](): void } {
  const root = mkdtempSync(join(tmpdir(), `bus-lint-${name}-`));
  cpSync(fixture(name), root, { recursive: true });
  for (const pkg of ['@openfoundry/bus-registry', 'zod']) {
    mkdirSync(dirname(join(root, 'node_modules', pkg)), { recursive: true });
    symlinkSync(join(repoRoot, 'node_modules', pkg), join(root, 'node_modules', pkg));
  }
  return { root, [Symbol.dispose]: () => rmSync(root, { recursive: true, force: true }) };
}
