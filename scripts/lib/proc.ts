import { spawn } from 'node:child_process';
import { repoRoot as findRepoRoot } from '@openfoundry/infra-local';

export const repoRoot = findRepoRoot();

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Runs a command with inherited stdio and resolves with its exit code (never rejects on a non-zero exit). */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? repoRoot,
      env: options.env ?? process.env,
      stdio: 'inherit',
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** Runs a step, printing its name and duration; throws when the step fails. */
export async function step(name: string, command: string, args: readonly string[], options: RunOptions = {}) {
  const started = Date.now();
  console.log(`\n[openfoundry] ▶ ${name}`);
  const code = await run(command, args, options);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (code !== 0) {
    throw new StepFailed(`${name} failed (exit ${code}, ${seconds}s)`, code);
  }
  console.log(`[openfoundry] ✔ ${name} (${seconds}s)`);
}

export class StepFailed extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

export const node = process.execPath;
export const bin = (tool: string) => `${repoRoot}/node_modules/.bin/${tool}`;
export const infraCli = `${repoRoot}/infra/local/src/cli.ts`;
export const busCli = `${repoRoot}/infra/bus/src/cli.ts`;
