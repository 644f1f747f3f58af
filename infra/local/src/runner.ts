import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { formatEnvFile, loadConfig, type PlatformConfig, platformEnv, statePaths } from './config.ts';
import { InfraError } from './errors.ts';
import { type Log, seconds } from './install.ts';
import { tailFile } from './process.ts';
import { duckdb } from './servers/duckdb.ts';
import { kafka } from './servers/kafka.ts';
import { mosquitto } from './servers/mosquitto.ts';
import { nats } from './servers/nats.ts';
import { postgres } from './servers/postgres.ts';
import { redis } from './servers/redis.ts';
import { s3 } from './servers/s3.ts';
import type { Component, Context, Status } from './servers/server.ts';

/** Every part of the local platform, in the order status lists them. */
export const COMPONENTS: readonly Component[] = [postgres, nats, redis, mosquitto, s3, kafka, duckdb];

export const COMPONENT_NAMES = COMPONENTS.map((c) => c.name);

export function selectComponents(names: string[]): Component[] {
  if (names.length === 0) return [...COMPONENTS];
  const unknown = names.filter((name) => !COMPONENT_NAMES.includes(name));
  if (unknown.length > 0) {
    throw new InfraError(`unknown server ${unknown.join(', ')} (known: ${COMPONENT_NAMES.join(', ')})`);
  }
  return COMPONENTS.filter((c) => names.includes(c.name));
}

export interface RunnerOptions {
  servers?: string[];
  log?: Log;
  env?: NodeJS.ProcessEnv;
}

function context(options: RunnerOptions): Context {
  return { config: loadConfig(options.env), log: options.log ?? (() => {}) };
}

function ensureStateDirs(config: PlatformConfig): void {
  for (const dir of ['data', 'logs', 'run', 'conf'])
    mkdirSync(join(config.stateDir, dir), { recursive: true });
}

export interface UpResult {
  statuses: Status[];
  timings: Record<string, { installMs: number; startMs: number; outcome: string }>;
  totalMs: number;
}

/**
 * Installs what is missing and starts what is not running, all components in parallel (apt installs
 * are serialised internally), then writes platform.env. Idempotent; quick when everything is up.
 */
export async function up(options: RunnerOptions = {}): Promise<UpResult> {
  const started = Date.now();
  const ctx = context(options);
  ensureStateDirs(ctx.config);
  const components = selectComponents(options.servers ?? []);
  const timings: UpResult['timings'] = {};
  const results = await Promise.allSettled(
    components.map(async (component) => {
      const t0 = Date.now();
      await component.install(ctx);
      const t1 = Date.now();
      const outcome = await component.start(ctx);
      const t2 = Date.now();
      timings[component.name] = { installMs: t1 - t0, startMs: t2 - t1, outcome };
      ctx.log(`${component.name}: ${outcome} (install ${seconds(t1 - t0)}, start ${seconds(t2 - t1)})`);
    }),
  );
  const failures = results.flatMap((result, i) =>
    result.status === 'rejected' ? [`${components[i]?.name}: ${describe(result.reason)}`] : [],
  );
  if (failures.length > 0) throw new InfraError(failures.join('\n'));
  writeFileSync(statePaths(ctx.config).platformEnv, formatEnvFile(platformEnv(options.env)));
  const statuses = await status(options);
  return { statuses, timings, totalMs: Date.now() - started };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function status(options: RunnerOptions = {}): Promise<Status[]> {
  const ctx = context(options);
  return Promise.all(selectComponents(options.servers ?? []).map((c) => c.status(ctx)));
}

export async function down(options: RunnerOptions = {}): Promise<void> {
  const ctx = context(options);
  // No server here depends on another at shutdown, so they stop in parallel.
  await Promise.all(selectComponents(options.servers ?? []).map((c) => c.stop(ctx)));
}

export function logs(options: RunnerOptions & { lines?: number } = {}): string {
  const config = loadConfig(options.env);
  const servers = selectComponents(options.servers ?? []).filter((c) => c.name !== 'duckdb');
  return servers
    .map((server) => {
      const file = statePaths(config).log(server.name);
      const body = existsSync(file) ? tailFile(file, options.lines ?? 50) : '(no log yet)';
      return servers.length === 1 ? body : `==> ${file} <==\n${body}`;
    })
    .join('\n\n');
}

/** The directories `reset` deletes: everything under the state dir, never the download cache. */
export function resetTargets(config: PlatformConfig): string[] {
  return ['data', 'logs', 'run', 'conf', 'kafka', 'platform.env']
    .map((entry) => join(config.stateDir, entry))
    .filter((path) => existsSync(path));
}

export async function reset(options: RunnerOptions & { yes?: boolean } = {}): Promise<string[]> {
  const ctx = context(options);
  const targets = resetTargets(ctx.config);
  if (targets.length === 0) {
    ctx.log(`nothing to delete under ${ctx.config.stateDir}`);
    return [];
  }
  ctx.log(`reset stops all servers and deletes (the download cache ${ctx.config.cacheDir} is kept):`);
  for (const target of targets) ctx.log(`  ${target}`);
  if (!options.yes) {
    if (!process.stdin.isTTY) throw new InfraError('reset needs --yes when not run interactively');
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    const answer = await rl.question('delete these? [y/N] ');
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) {
      ctx.log('reset cancelled');
      return [];
    }
  }
  await down(options);
  for (const target of targets) rmSync(target, { recursive: true, force: true });
  ctx.log('reset done');
  return targets;
}

export function formatStatusTable(statuses: Status[]): string {
  const header = ['server', 'version', 'endpoint', 'pid', 'health'];
  const rows = statuses.map((s) => [
    s.name,
    s.version,
    s.endpoint,
    s.pid === undefined ? '-' : String(s.pid),
    s.detail ? `${s.health} (${s.detail})` : s.health,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
