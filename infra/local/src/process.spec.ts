import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPidFile, run, tailFile } from './process.ts';

const pidFile = (content: string) => {
  const file = join(mkdtempSync(join(tmpdir(), 'of-pid-')), 'x.pid');
  writeFileSync(file, content);
  return file;
};

/** A pid that surely is not running: a child that has exited and been reaped. */
const deadPid = () => spawnSync('true').pid;

describe('checkPidFile', () => {
  it('reports a live process of ours as running and keeps the file', () => {
    const file = pidFile(`${process.pid}\n`);
    expect(checkPidFile(file, (cmd) => cmd.includes('node'))).toEqual({ state: 'running', pid: process.pid });
    expect(existsSync(file)).toBe(true);
  });
  it('removes the file when the pid is dead', () => {
    const file = pidFile(`${deadPid()}\n`);
    const result = checkPidFile(file, () => true);
    expect(result.state).toBe('stale');
    expect(result.state === 'stale' && result.note).toMatch(/is not running — removed it/);
    expect(existsSync(file)).toBe(false);
  });
  it('removes the file when the pid now belongs to another program', () => {
    const file = pidFile(`${process.pid}`);
    const result = checkPidFile(file, (cmd) => cmd.includes('redis-server'));
    expect(result.state === 'stale' && result.note).toMatch(/not ours/);
    expect(existsSync(file)).toBe(false);
  });
  it('treats garbage as stale', () => {
    expect(checkPidFile(pidFile('hello'), () => true).state).toBe('stale');
  });
  it('says none when there is no pid file', () => {
    expect(checkPidFile('/nonexistent/x.pid', () => true)).toEqual({ state: 'none' });
  });
});

describe('tailFile', () => {
  it('returns the last lines', () => {
    const file = pidFile('a\nb\nc\n');
    expect(tailFile(file, 2)).toBe('b\nc');
  });
});

describe('run', () => {
  it('hands standard error over as it arrives and still returns all output', async () => {
    const seen: string[] = [];
    const done = await run('sh', ['-c', 'echo progress >&2; echo result; exit 3'], {
      allowFailure: true,
      onStderr: (text) => seen.push(text),
    });
    expect(done).toEqual({ code: 3, stdout: 'result\n', stderr: 'progress\n' });
    expect(seen.join('')).toBe('progress\n');
  });
});
