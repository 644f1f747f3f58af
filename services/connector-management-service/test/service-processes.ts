import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  type ServiceProcess,
  startServiceProcess,
  waitForReady,
} from '@openfoundry/service-kit/testing';
import pg from 'pg';

/** The built entry points the process tests start (build both services first). */
export const managementEntry = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
export const connectorEntry = fileURLToPath(
  new URL('../../connector-service/dist/src/main.js', import.meta.url),
);

/** Built services started on free loopback ports by one test file, stopped together. */
export class ServiceProcesses {
  readonly runs: ServiceProcess[] = [];

  /** Throws, naming the file, unless both services are built. */
  static assertBuilt(): void {
    for (const entry of [managementEntry, connectorEntry])
      if (!existsSync(entry)) throw new Error(`${entry} is missing: build both services first`);
  }

  /** Starts one and resolves with its base URL once it is ready. */
  async start(entry: string, env: Record<string, string>): Promise<string> {
    const port = await freePort();
    const run = startServiceProcess(entry, { PORT: String(port), HOST: '127.0.0.1', ...env });
    this.runs.push(run);
    await waitForReady(`http://127.0.0.1:${port}`, run, 60_000);
    return `http://127.0.0.1:${port}`;
  }

  /** The last lines each wrote, for a failure message. */
  output(): string {
    return this.runs.map((run) => run.output().slice(-3_000)).join('\n---\n');
  }

  async stop(): Promise<void> {
    for (const run of this.runs) run.child.kill('SIGTERM');
    await Promise.all(this.runs.map((run) => run.exited));
  }
}

/**
 * A coordinator without a replica filter (a platform running on this machine) leases every
 * replica it hears, a test's too; assignment versions above any it reached make them follow the
 * test's coordinator, whose database this is.
 */
export async function outrankOtherCoordinators(databaseUrl: string): Promise<void> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query(`select setval('assignment_versions', $1)`, [Date.now()]);
  } finally {
    await db.end();
  }
}
