import { mkdirSync, rmSync } from 'node:fs';
import { type PlatformConfig, PORT_ENV, type Ports, statePaths } from '../config.ts';
import { InfraError } from '../errors.ts';
import type { Log } from '../install.ts';
import { assertPortFree } from '../ports.ts';
import {
  checkPidFile,
  type DetachedCommand,
  isAlive,
  lastLine,
  spawnDetached,
  stopProcess,
  tailFile,
  waitUntil,
  writePidFile,
} from '../process.ts';

export interface Context {
  config: PlatformConfig;
  log: Log;
}

export type HealthState = 'up' | 'down' | 'unhealthy' | 'installed' | 'missing';

export interface Status {
  name: string;
  version: string;
  endpoint: string;
  pid?: number;
  health: HealthState;
  detail?: string;
}

/** One part of the local platform: a server we supervise, or an installed artefact (DuckDB extensions). */
export interface Component {
  readonly name: string;
  /** Downloads/builds whatever is missing; quick when everything is in the cache. */
  install(ctx: Context): Promise<void>;
  /** Starts it unless it already runs, waits until healthy; resolves 'already running' or 'started'. */
  start(ctx: Context): Promise<'already running' | 'started' | 'verified'>;
  stop(ctx: Context): Promise<void>;
  status(ctx: Context): Promise<Status>;
}

export interface DaemonSpec {
  name: string;
  /** Ports it binds, by key of Ports; the first is the one shown in status. */
  ports: (keyof Ports)[];
  /** Recognises our process in /proc/<pid>/cmdline (guards against reused pids). */
  isOurs: (commandLine: string) => boolean;
  install: (ctx: Context) => Promise<void>;
  /** Writes config files and initialises data before each start. */
  prepare: (ctx: Context) => Promise<void>;
  command: (ctx: Context) => Promise<DetachedCommand>;
  probe: (ctx: Context) => Promise<boolean>;
  version: (ctx: Context) => Promise<string>;
  endpoint: (ctx: Context) => string;
  /** Runs after every successful start or when found running (idempotent provisioning). */
  provision?: (ctx: Context) => Promise<void>;
  stopSignal?: NodeJS.Signals;
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
}

/** The lifecycle every supervised server shares; what differs lives in its DaemonSpec. */
export class Daemon implements Component {
  readonly name: string;
  readonly spec: DaemonSpec;

  constructor(spec: DaemonSpec) {
    this.name = spec.name;
    this.spec = spec;
  }

  install(ctx: Context): Promise<void> {
    return this.spec.install(ctx);
  }

  runningPid(ctx: Context): number | undefined {
    const state = checkPidFile(statePaths(ctx.config).pid(this.name), this.spec.isOurs);
    if (state.state === 'stale') ctx.log(`note: ${state.note}`);
    return state.state === 'running' ? state.pid : undefined;
  }

  async start(ctx: Context): Promise<'already running' | 'started'> {
    const paths = statePaths(ctx.config);
    const existing = this.runningPid(ctx);
    if (existing !== undefined) {
      await this.waitHealthy(ctx, existing);
      await this.spec.provision?.(ctx);
      return 'already running';
    }
    for (const key of this.spec.ports) await assertPortFree(ctx.config.ports[key], PORT_ENV[key]);
    mkdirSync(paths.data(this.name), { recursive: true });
    await this.spec.prepare(ctx);
    const pid = spawnDetached(await this.spec.command(ctx), paths.log(this.name));
    writePidFile(paths.pid(this.name), pid);
    await this.waitHealthy(ctx, pid);
    await this.spec.provision?.(ctx);
    return 'started';
  }

  private async waitHealthy(ctx: Context, pid: number): Promise<void> {
    const logFile = statePaths(ctx.config).log(this.name);
    const healthy = await waitUntil(() => this.spec.probe(ctx), {
      timeoutMs: this.spec.startTimeoutMs ?? 30_000,
      abort: () =>
        isAlive(pid)
          ? undefined
          : `${this.name} exited during start — ${logFile}: ${lastLine(tailFile(logFile, 5))}`,
    });
    if (!healthy) throw new InfraError(`${this.name} (pid ${pid}) did not become healthy — see ${logFile}`);
  }

  async stop(ctx: Context): Promise<void> {
    const pidFile = statePaths(ctx.config).pid(this.name);
    const pid = this.runningPid(ctx);
    if (pid !== undefined) {
      const killed = await stopProcess(
        pid,
        this.spec.stopSignal ?? 'SIGTERM',
        this.spec.stopTimeoutMs ?? 20_000,
      );
      ctx.log(`${this.name}: stopped pid ${pid}${killed ? ' (SIGKILL after timeout)' : ''}`);
    }
    rmSync(pidFile, { force: true });
  }

  async status(ctx: Context): Promise<Status> {
    const pid = this.runningPid(ctx);
    const base = { name: this.name, endpoint: this.spec.endpoint(ctx) };
    const version = await this.spec.version(ctx).catch(() => '?');
    if (pid === undefined) return { ...base, version, health: 'down' };
    const healthy = await this.spec.probe(ctx).catch(() => false);
    return { ...base, version, pid, health: healthy ? 'up' : 'unhealthy' };
  }
}
