import pg from 'pg';
import type { Logger as PinoLogger } from 'pino';

// Postgres SQLSTATEs that mean "someone else created it first".
const ALREADY_EXISTS = new Set(['42710', '42P04', '23505']);
// Advisory locks are per database: every provisioner connects to the admin URL's database, so they share it.
const PROVISION_LOCK = 0x0f_0f_0001;

export interface DatabaseTarget {
  role: string;
  password: string | undefined;
  database: string;
}

export function parseDatabaseUrl(url: string): DatabaseTarget {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  const role = decodeURIComponent(parsed.username);
  if (!database || !role) throw new Error('DATABASE_URL must name a user and a database');
  return { role, password: parsed.password ? decodeURIComponent(parsed.password) : undefined, database };
}

async function ignoreExisting(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!ALREADY_EXISTS.has((error as { code?: string }).code ?? '')) throw error;
  }
}

/**
 * Creates the service's role and database through the admin URL when they are missing.
 * Idempotent; concurrent starters serialise on an advisory lock, and a lost race is ignored.
 */
export async function ensureDatabase(
  adminUrl: string,
  databaseUrl: string,
  logger: PinoLogger,
): Promise<void> {
  const target = parseDatabaseUrl(databaseUrl);
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [PROVISION_LOCK]);
    const role = client.escapeIdentifier(target.role);
    const roles = await client.query('select 1 from pg_roles where rolname = $1', [target.role]);
    if (roles.rowCount === 0) {
      const password =
        target.password === undefined ? '' : ` password ${client.escapeLiteral(target.password)}`;
      await ignoreExisting(() => client.query(`create role ${role} login${password}`));
      logger.info({ context: 'Provisioner', role: target.role }, 'database role created');
    }
    const databases = await client.query('select 1 from pg_database where datname = $1', [target.database]);
    if (databases.rowCount === 0) {
      await ignoreExisting(() =>
        client.query(`create database ${client.escapeIdentifier(target.database)} owner ${role}`),
      );
      logger.info({ context: 'Provisioner', database: target.database }, 'database created');
    }
    await client.query('select pg_advisory_unlock($1)', [PROVISION_LOCK]);
  } finally {
    await client.end();
  }
}
