import { chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { HOST, type PlatformConfig, statePaths } from '../config.ts';
import { ensureDebPackages, timed } from '../install.ts';
import { databasesToProvision, serviceManifests } from '../manifests.ts';
import { run } from '../process.ts';
import { POSTGRES_MAJOR } from '../versions.ts';
import { type Context, Daemon } from './server.ts';

const BIN = `/usr/lib/postgresql/${POSTGRES_MAJOR}/bin`;
const OS_USER = 'postgres';

interface OsUser {
  uid: number;
  gid: number;
}

/** As root we run the cluster as the `postgres` OS user (postgres refuses root); otherwise as ourselves. */
async function runAs(): Promise<OsUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const id = async (flag: string) => Number((await run('id', [flag, OS_USER])).stdout.trim());
  try {
    return { uid: await id('-u'), gid: await id('-g') };
  } catch {
    await run('useradd', ['--system', '--user-group', '--home-dir', '/var/lib/postgresql', OS_USER], {
      what: `creating the ${OS_USER} OS user`,
    });
    return { uid: await id('-u'), gid: await id('-g') };
  }
}

export function adminClient(config: PlatformConfig, database = 'postgres'): pg.Client {
  return new pg.Client({
    host: HOST,
    port: config.ports.postgres,
    user: config.pg.user,
    password: config.pg.password,
    database,
    connectionTimeoutMillis: 2000,
  });
}

async function withAdmin<T>(config: PlatformConfig, task: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = adminClient(config);
  client.on('error', () => {});
  await client.connect();
  try {
    return await task(client);
  } finally {
    await client.end().catch(() => {});
  }
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;
const quoteLiteral = (value: string) => `'${value.replaceAll("'", "''")}'`;

/** One role per service database (dev password = its name), owning that database. Idempotent. */
export async function provisionDatabases(config: PlatformConfig, databases: string[]): Promise<string[]> {
  if (databases.length === 0) return [];
  return withAdmin(config, async (client) => {
    const created: string[] = [];
    for (const db of databases) {
      const role = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [db]);
      const verb = role.rowCount ? 'ALTER' : 'CREATE';
      await client.query(`${verb} ROLE ${quoteIdent(db)} LOGIN PASSWORD ${quoteLiteral(db)}`);
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
      if (!exists.rowCount) {
        await client.query(`CREATE DATABASE ${quoteIdent(db)} OWNER ${quoteIdent(db)}`);
        created.push(db);
      } else {
        await client.query(`ALTER DATABASE ${quoteIdent(db)} OWNER TO ${quoteIdent(db)}`);
      }
    }
    return created;
  });
}

async function initCluster(ctx: Context): Promise<void> {
  const dataDir = statePaths(ctx.config).data('postgres');
  if (existsSync(join(dataDir, 'PG_VERSION'))) return;
  const user = await runAs();
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pwFile = join(dataDir, '..', '.postgres-initdb-pw');
  writeFileSync(pwFile, `${ctx.config.pg.password}\n`, { mode: 0o600 });
  if (user) {
    chownSync(dataDir, user.uid, user.gid);
    chownSync(pwFile, user.uid, user.gid);
  }
  try {
    await timed(ctx.log, 'postgres: initdb', () =>
      run(
        join(BIN, 'initdb'),
        [
          '-D',
          dataDir,
          '-U',
          ctx.config.pg.user,
          `--pwfile=${pwFile}`,
          '--auth-host=scram-sha-256',
          '--auth-local=peer',
          '--encoding=UTF8',
          '--no-locale',
        ],
        { ...user, cwd: '/', what: 'postgres initdb' },
      ),
    );
  } finally {
    rmSync(pwFile, { force: true });
  }
}

export const postgres = new Daemon({
  name: 'postgres',
  ports: ['postgres'],
  isOurs: (cmd) => cmd.includes(`${BIN}/postgres`),
  async install(ctx) {
    if (!existsSync(join(BIN, 'postgres')))
      await ensureDebPackages([`postgresql-${POSTGRES_MAJOR}`], ctx.log);
  },
  prepare: initCluster,
  async command(ctx) {
    const dataDir = statePaths(ctx.config).data('postgres');
    return {
      cmd: join(BIN, 'postgres'),
      args: [
        '-D',
        dataDir,
        '-p',
        String(ctx.config.ports.postgres),
        '-c',
        `listen_addresses=${HOST}`,
        '-c',
        `unix_socket_directories=${dataDir}`,
      ],
      cwd: '/',
      ...(await runAs()),
    };
  },
  probe: (ctx) => withAdmin(ctx.config, async (client) => (await client.query('SELECT 1')).rowCount === 1),
  async version(ctx) {
    try {
      return await withAdmin(ctx.config, async (client) => {
        const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version') AS v");
        return `PostgreSQL ${rows[0]?.v}`;
      });
    } catch {
      return (await run(join(BIN, 'postgres'), ['--version'])).stdout
        .trim()
        .replace('postgres (PostgreSQL) ', 'PostgreSQL ');
    }
  },
  endpoint: (ctx) => `postgres://${HOST}:${ctx.config.ports.postgres}`,
  async provision(ctx) {
    const created = await provisionDatabases(
      ctx.config,
      databasesToProvision(serviceManifests(ctx.config.servicesDir)),
    );
    if (created.length > 0) ctx.log(`postgres: created databases ${created.join(', ')}`);
  },
  // SIGINT is postgres' "fast" shutdown, the same as pg_ctl stop -m fast.
  stopSignal: 'SIGINT',
});
