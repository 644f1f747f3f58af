import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InfraError } from './errors.ts';

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  uid?: number;
  gid?: number;
  timeoutMs?: number;
  /** What to name in the error when the command fails, e.g. "Maven Central artifact …". */
  what?: string;
  /** Resolve with the exit code instead of rejecting on a non-zero exit. */
  allowFailure?: boolean;
  /** Called with each piece of standard error as it arrives (progress lines of long programs). */
  onStderr?: (text: string) => void;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, capturing output. Rejects with a one-line diagnosis when it fails. */
export function run(cmd: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      uid: options.uid,
      gid: options.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
      options.onStderr?.(chunk.toString());
    });
    child.on('error', (error) =>
      reject(new InfraError(`${options.what ?? cmd}: cannot run ${cmd}: ${error.message}`)),
    );
    child.on('close', (code, signal) => {
      if (code === 0 || (options.allowFailure && code !== null))
        return resolvePromise({ code, stdout, stderr });
      const last = lastLine(`${stderr}\n${stdout}`);
      const how = signal ? `was killed by ${signal}` : `exited with ${code}`;
      reject(
        new InfraError(
          `${options.what ?? `${cmd} ${args.join(' ')}`} failed: ${cmd} ${how}${last ? `: ${last}` : ''}`,
        ),
      );
    });
  });
}

/** Like run, but never rejects on a non-zero exit (some tools print their version and exit 1). */
export async function runLoose(cmd: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  try {
    return await run(cmd, args, { ...options, allowFailure: true });
  } catch (error) {
    return { code: -1, stdout: '', stderr: error instanceof Error ? error.message : String(error) };
  }
}

export function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return (lines.at(-1) ?? '').slice(0, 300);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie still answers signal 0 but is gone for our purposes.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return undefined;
  }
}

export function processName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export type PidState =
  | { state: 'running'; pid: number }
  | { state: 'none' }
  | { state: 'stale'; pid: number; note: string };

/**
 * Reads a pid file and decides whether it names our live server. A pid that is dead, or alive but
 * running something else (the pid was reused), makes the file stale: it is removed and a note returned.
 */
export function checkPidFile(pidFile: string, isOurs: (commandLine: string) => boolean): PidState {
  if (!existsSync(pidFile)) return { state: 'none' };
  const raw = readFileSync(pidFile, 'utf8').trim();
  const pid = Number(raw);
  let note: string;
  if (!Number.isInteger(pid) || pid <= 0) {
    note = `pid file ${pidFile} held "${raw}", not a pid`;
  } else if (!isAlive(pid)) {
    note = `stale pid file ${pidFile}: pid ${pid} is not running`;
  } else {
    const cmd = commandLine(pid) ?? '';
    if (isOurs(cmd)) return { state: 'running', pid };
    note = `stale pid file ${pidFile}: pid ${pid} is now ${processName(pid) ?? 'another process'}, not ours`;
  }
  rmSync(pidFile, { force: true });
  return { state: 'stale', pid: Number.isInteger(pid) ? pid : 0, note: `${note} — removed it` };
}

export function writePidFile(pidFile: string, pid: number): void {
  mkdirSync(dirname(pidFile), { recursive: true });
  writeFileSync(pidFile, `${pid}\n`);
}

export interface DetachedCommand {
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  uid?: number;
  gid?: number;
}

/** Starts a server that outlives the CLI: own session, stdin closed, stdout/stderr appended to its log. */
export function spawnDetached(command: DetachedCommand, logFile: string): number {
  mkdirSync(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'a');
  try {
    writeFileSync(
      fd,
      `\n--- ${new Date().toISOString()} starting ${command.cmd} ${command.args.join(' ')}\n`,
    );
    const child = spawn(command.cmd, command.args, {
      env: command.env ?? process.env,
      cwd: command.cwd,
      uid: command.uid,
      gid: command.gid,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    if (child.pid === undefined) throw new InfraError(`cannot start ${command.cmd}`);
    child.on('error', () => {});
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** Sends the graceful signal, waits, then SIGKILLs. Resolves true if the process had to be killed. */
export async function stopProcess(pid: number, signal: NodeJS.Signals, timeoutMs: number): Promise<boolean> {
  if (!isAlive(pid)) return false;
  try {
    process.kill(pid, signal);
  } catch {
    return false;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return false;
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {}
  while (isAlive(pid)) await sleep(50);
  return true;
}

export async function waitUntil(
  check: () => Promise<boolean>,
  options: { timeoutMs: number; intervalMs?: number; abort?: () => string | undefined },
): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const reason = options.abort?.();
    if (reason) throw new InfraError(reason);
    if (await check().catch(() => false)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(options.intervalMs ?? 200);
  }
}

/** A TCP port on loopback that nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export function canConnect(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = createConnection({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolvePromise(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Writes bytes to a TCP port and resolves with the first chunk of the reply. */
export function tcpExchange(
  port: number,
  request: Buffer,
  timeoutMs = 2000,
  host = '127.0.0.1',
): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    const socket = createConnection({ port, host });
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error(`no reply from ${host}:${port} within ${timeoutMs} ms`));
    });
    socket.once('connect', () => socket.write(request));
    socket.once('data', (data) => {
      socket.destroy();
      resolvePromise(data);
    });
    socket.once('error', reject);
  });
}

export function tailFile(file: string, lines: number): string {
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8');
  const all = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  return all.slice(-lines).join('\n');
}
