import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CredentialStore, credentialEnv } from '@openfoundry/bus-registry/provision';
import { type CpuClass, type PlatformEnv, readPlatformEnv, serviceManifests } from '@openfoundry/infra-local';
import { node, repoRoot } from './proc.ts';

/** One process the supervisor runs: a service (or app) with a manifest and a built entry point. */
export interface Unit {
  name: string;
  dir: string;
  port: number;
  database?: string | undefined;
  entry: string;
  /** Local-development settings from the manifest's `env`; the environment overrides them. */
  env: Record<string, string>;
  cpu: CpuClass;
}

export interface RunningUnit extends Unit {
  child: ChildProcess;
  url: string;
}

export interface Platform {
  units: RunningUnit[];
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 15_000;

const COLORS = [36, 35, 33, 32, 34, 91, 96, 95];

/** Every service with a manifest; its entry point is the `main` of its package.json (a built file). */
export function discoverUnits(): Unit[] {
  return serviceManifests().map((m) => {
    if (typeof m.port !== 'number') throw new Error(`${m.dir}/service.json: "port" must be a number`);
    const pkg = JSON.parse(readFileSync(join(m.dir, 'package.json'), 'utf8')) as { main?: string };
    if (!pkg.main) throw new Error(`${m.dir}/package.json has no "main" entry point`);
    const env = (m.env ?? {}) as Record<string, unknown>;
    if (
      typeof env !== 'object' ||
      Array.isArray(env) ||
      Object.values(env).some((v) => typeof v !== 'string')
    )
      throw new Error(`${m.dir}/service.json: "env" must map variable names to strings`);
    return {
      name: m.name,
      dir: m.dir,
      port: m.port,
      database: m.database,
      entry: join(m.dir, pkg.main),
      env: env as Record<string, string>,
      cpu: m.cpu,
    };
  });
}

function unitEnv(unit: Unit, platformEnv: PlatformEnv, extra: Record<string, string>): NodeJS.ProcessEnv {
  // Each service reaches the buses as itself: its own Kafka principal and NATS user.
  const bus = credentialEnv(new CredentialStore().get(unit.name));
  const defaults = Object.fromEntries(
    Object.entries(unit.env).map(([name, value]) => [name, fillPlatformValues(value, platformEnv, unit)]),
  );
  const env: NodeJS.ProcessEnv = { ...defaults, ...process.env, ...platformEnv, ...bus, ...extra };
  env.PORT = String(unit.port);
  env.HOST = '127.0.0.1';
  env.NODE_ENV ??= 'development';
  if (unit.database) {
    const host = platformEnv.OPENFOUNDRY_PG_HOST ?? '127.0.0.1';
    const port = platformEnv.OPENFOUNDRY_PG_PORT ?? '5432';
    const db = unit.database;
    env.DATABASE_URL = `postgres://${db}:${db}@${host}:${port}/${db}`;
    if (platformEnv.OPENFOUNDRY_PG_ADMIN_URL) env.DATABASE_ADMIN_URL = platformEnv.OPENFOUNDRY_PG_ADMIN_URL;
  }
  return env;
}

/**
 * A manifest's `env` value with `${OPENFOUNDRY_…}` replaced by the platform's setting (ports and
 * hosts the local platform chose), so a default can point at another local server.
 */
export function fillPlatformValues(
  value: string,
  platformEnv: PlatformEnv,
  unit: Pick<Unit, 'name'>,
): string {
  return value.replace(/\$\{(OPENFOUNDRY_[A-Z0-9_]+)\}/g, (_, name: string) => {
    const filled = (platformEnv as unknown as Record<string, string | undefined>)[name];
    if (filled === undefined)
      throw new Error(
        `${unit.name}/service.json: env refers to \${${name}}, which the platform does not set`,
      );
    return filled;
  });
}

/** Turns a pino JSON line into a short human line; anything else passes through unchanged. */
export function formatLogLine(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    const levels: Record<number, string> = {
      10: 'TRACE',
      20: 'DEBUG',
      30: 'INFO',
      40: 'WARN',
      50: 'ERROR',
      60: 'FATAL',
    };
    const level =
      typeof entry.level === 'number'
        ? (levels[entry.level] ?? String(entry.level))
        : String(entry.level ?? '');
    const reqId = entry.reqId ?? entry.requestId;
    const context = entry.context ? `${String(entry.context)}: ` : '';
    return `${level.padEnd(5)} ${context}${String(entry.msg ?? '')}${reqId ? ` (${String(reqId)})` : ''}`;
  } catch {
    return line;
  }
}

function pipeLogs(unit: Unit, child: ChildProcess, color: number, logDir: string) {
  const file = createWriteStream(join(logDir, `${unit.name}.log`), { flags: 'a' });
  const name = unit.name.padEnd(24);
  const prefix = process.stdout.isTTY ? `\u001b[${color}m${name}\u001b[0m|` : `${name}|`;
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      file.write(`${line}\n`);
      process.stdout.write(`${prefix} ${formatLogLine(line)}\n`);
    });
  }
  child.once('exit', () => file.end());
}

async function waitReady(unit: RunningUnit): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (unit.child.exitCode !== null || unit.child.signalCode !== null) {
      throw new Error(
        `${unit.name} exited (code ${unit.child.exitCode ?? unit.child.signalCode}) before it was ready`,
      );
    }
    try {
      const res = await fetch(`${unit.url}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
      last = `readyz answered ${res.status}: ${(await res.text()).slice(0, 200)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${unit.name} was not ready within ${READY_TIMEOUT_MS / 1000}s (${last})`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** The units whose port another unit's settings name (`…127.0.0.1:<port>…`, e.g. a catalog URL). */
function calledByOthers<T extends Unit>(units: readonly T[]): Set<T> {
  return new Set(
    units.filter((callee) => {
      const address = new RegExp(`127\\.0\\.0\\.1:${callee.port}(?!\\d)`);
      return units.some(
        (caller) => caller !== callee && Object.values(caller.env).some((value) => address.test(value)),
      );
    }),
  );
}

/** How far below the live path a `background` service runs (ADR 0018): nice 10. */
export const BACKGROUND_NICE = 10;

function lowerPriority(unit: Unit, pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    setPriority(pid, BACKGROUND_NICE);
  } catch (error) {
    // Not fatal: it runs at normal priority and may only slow the live path under load.
    console.warn(`${unit.name}: could not lower its CPU priority: ${(error as Error).message}`);
  }
}

/**
 * Starts every built service under one supervisor with prefixed logs and waits until each answers
 * /readyz with 200. Rejects (after stopping what it started) when any unit fails to become ready.
 */
export async function startPlatform(options: { extraEnv?: Record<string, string> } = {}): Promise<Platform> {
  const platformEnv = readPlatformEnv();
  const logDir = join(repoRoot, '.openfoundry', 'logs', 'services');
  mkdirSync(logDir, { recursive: true });
  const units = discoverUnits();
  const running: RunningUnit[] = [];
  // A service another one calls stops after it: the lakehouse sink commits what it buffered through
  // the catalog while it shuts down.
  const stop = async () => {
    const called = calledByOthers(running);
    await Promise.all(running.filter((u) => !called.has(u)).map((u) => stopChild(u.child)));
    await Promise.all(running.filter((u) => called.has(u)).map((u) => stopChild(u.child)));
  };
  try {
    units.forEach((unit, i) => {
      if (!existsSync(unit.entry)) throw new Error(`${unit.name} is not built (${unit.entry} missing)`);
      const child = spawn(node, ['--enable-source-maps', unit.entry], {
        cwd: unit.dir,
        env: unitEnv(unit, platformEnv, options.extraEnv ?? {}),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      if (unit.cpu === 'background') lowerPriority(unit, child.pid);
      const ru: RunningUnit = { ...unit, child, url: `http://127.0.0.1:${unit.port}` };
      running.push(ru);
      pipeLogs(unit, child, COLORS[i % COLORS.length] ?? 36, logDir);
    });
    await Promise.all(running.map(waitReady));
  } catch (err) {
    await stop();
    throw err;
  }
  return { units: running, stop };
}
