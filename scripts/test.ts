// `npm test`: every set-up step, then every tier. Prints one closing line "N passed, N failed".
//
// The suite runs on servers of its own, started from empty state under `.openfoundry/test` and
// stopped at the end: the platform's data (`npm start`, benches) is neither read nor changed. A
// consumer that replays the asset stream from offset 0 (streaming's rebuild) then reads what the
// suite wrote, not everything a long-lived platform ever carried. The servers listen on the same
// ports, so the platform's are stopped first; their data stays.
//
// `npm test -- <vitest arguments>` (e.g. `--project streaming-service`) runs just those tests on the
// same fresh servers, after the build, without the lint, typecheck and end-to-end steps.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startPlatform } from './lib/platform.ts';
import { bin, busCli, infraCli, node, repoRoot, StepFailed, step } from './lib/proc.ts';

interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
}

const resultsDir = join(repoRoot, '.openfoundry', 'test-results');
/** The suite's own infrastructure state (OPENFOUNDRY_STATE), emptied at every run. */
const testState = join(repoRoot, '.openfoundry', 'test');
const totals = { passed: 0, failed: 0, skipped: 0 };

function addReport(file: string) {
  const report = JSON.parse(readFileSync(file, 'utf8')) as VitestReport;
  totals.passed += report.numPassedTests;
  totals.failed += report.numFailedTests;
  totals.skipped += report.numPendingTests + report.numTodoTests;
}

async function vitest(name: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const out = join(resultsDir, `${name}.json`);
  rmSync(out, { force: true });
  try {
    await step(
      `tests: ${name}`,
      bin('vitest'),
      ['run', ...args, '--reporter=default', '--reporter=json', `--outputFile.json=${out}`],
      { env },
    );
  } finally {
    try {
      addReport(out);
    } catch {
      totals.failed += 1; // the runner died before writing its report: count the tier as failed
    }
  }
}

/** Arguments after `npm test --`: run only these tests (vitest arguments). */
const focus = process.argv.slice(2);

async function main() {
  const started = Date.now();
  mkdirSync(resultsDir, { recursive: true });
  await step("infra down (the platform's servers; their data stays)", node, [infraCli, 'down']);
  // A run that was cut off may have left the suite's servers up: stop them before emptying their state.
  process.env.OPENFOUNDRY_STATE = testState;
  await step('infra down (servers of an earlier test run)', node, [infraCli, 'down']);
  rmSync(testState, { recursive: true, force: true });
  await step('infra up (empty state under .openfoundry/test)', node, [infraCli, 'up']);
  await step('bus provision (topics, streams, service credentials)', node, [busCli, 'provision']);
  await step('build', bin('turbo'), ['run', 'build', '--output-logs=errors-only']);
  if (focus.length > 0) return focused(started);
  await step('lint (biome)', bin('biome'), ['check', '.']);
  await step('lint (bus-lint)', node, [join(repoRoot, 'tools', 'bus-lint', 'src', 'cli.ts')]);
  await step('typecheck (tsc -b)', bin('tsc'), ['-b']);

  let failure: unknown;
  try {
    await vitest('unit+integration', ['--exclude', '**/*.e2e.spec.ts', '--exclude', '**/node_modules/**']);
  } catch (err) {
    failure = err;
  }

  console.log('\n[openfoundry] ▶ starting the platform for end-to-end tests');
  const platform = await startPlatform();
  try {
    const urls = Object.fromEntries(
      platform.units.map((u) => [`OPENFOUNDRY_E2E_${u.name.toUpperCase().replaceAll('-', '_')}_URL`, u.url]),
    );
    await vitest('e2e', ['e2e.spec', '--passWithNoTests'], { ...process.env, ...urls });
  } catch (err) {
    failure ??= err;
  } finally {
    await platform.stop();
  }
  await finish(started, failure, 'test run');
}

/** `npm test -- <vitest arguments>`: those tests only, then the suite's servers stop. */
async function focused(started: number) {
  let failure: unknown;
  try {
    // No end-to-end tier: those specs need the whole platform running (the full `npm test`).
    await vitest('focused', [...focus, '--exclude', '**/*.e2e.spec.ts', '--exclude', '**/node_modules/**']);
  } catch (err) {
    failure = err;
  }
  await finish(started, failure, `test run (${focus.join(' ')})`);
}

/** Stops the suite's servers, prints the closing line, and exits non-zero when anything failed. */
async function finish(started: number, failure: unknown, what: string) {
  await step("infra down (the suite's servers)", node, [infraCli, 'down']).catch((err: unknown) => {
    failure ??= err;
  });
  const minutes = ((Date.now() - started) / 60000).toFixed(1);
  console.log(`\n[openfoundry] ${what} finished in ${minutes} min`);
  console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
  if (failure || totals.failed > 0) process.exit(1);
}

main().catch((err: unknown) => {
  console.error(`\n[openfoundry] ${(err as Error).message}`);
  console.log(
    `tests: ${totals.passed} passed, ${totals.failed === 0 ? 1 : totals.failed} failed, ${totals.skipped} skipped`,
  );
  process.exit(err instanceof StepFailed ? err.exitCode : 1);
});
