import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliPath, fixture } from './repos.ts';

function busLint(...args: string[]) {
  const run = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('bus-lint (command line)', () => {
  const out = mkdtempSync(join(tmpdir(), 'bus-lint-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('exits 1 on errors and writes the selected report to --output', () => {
    const file = join(out, 'findings.json');
    const run = busLint(
      '--root',
      fixture('violations'),
      '--format',
      'json',
      '--rule',
      'not-owner',
      '--output',
      file,
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(`bus-lint: 5 errors, 0 warnings (9 files, 6 services); report in ${file}\n`);
    const findings = JSON.parse(readFileSync(file, 'utf8')) as { rule: string }[];
    expect(findings.map((f) => f.rule)).toEqual(Array(5).fill('not-owner'));
  });

  it('exits 0 and says so on a clean repository', () => {
    const run = busLint('--root', fixture('clean'));
    expect(run).toMatchObject({ code: 0, stdout: 'bus-lint: no problems (5 files, 2 services)\n' });
  });

  it('exits 2 on a usage error, before linting', () => {
    for (const args of [['--format', 'xml'], ['--rule', 'no-such-rule'], ['--frobnicate'], ['stray']]) {
      const run = busLint('--root', fixture('clean'), ...args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/^bus-lint: .*\nusage: bus-lint /);
    }
  });

  it('exits 2 when the registry cannot be loaded', () => {
    const run = busLint(
      '--root',
      fixture('clean'),
      '--registry',
      `${fixture('clean')}/infra/bus/src/platform.ts#nothing`,
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('has no export "nothing"');
  });
});
