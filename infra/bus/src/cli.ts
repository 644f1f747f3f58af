#!/usr/bin/env node
// `npm run bus -- <command>`: the bus registry's command line for platform engineers.
import { platformRegistry } from './platform.ts';
import { CredentialStore, credentialEnv, manifestServices, provision } from './provision/index.ts';
import { SCHEMA_DIR, schemaDrift, writeSchemaFiles } from './schema-files.ts';
import { RegistryError, validateRegistry } from './validate.ts';

const USAGE = `usage: npm run bus -- <command>
  validate          check the registry against the service manifests
  provision         create/update topics, streams, consumers and per-service credentials and permissions
  schemas [--check] write the payload JSON Schemas to infra/bus/schemas (--check: fail on drift)
  list              the registry as a table
  env <service>     the bus credentials a service runs with, as KEY=value lines`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'validate': {
      const issues = validateRegistry(platformRegistry, manifestServices());
      for (const i of issues) console.error(`${i.path}: ${i.message} [${i.code}]`);
      console.log(issues.length === 0 ? 'bus registry: valid' : `bus registry: ${issues.length} problem(s)`);
      return issues.length === 0 ? 0 : 1;
    }
    case 'provision': {
      const started = Date.now();
      const report = await provision(platformRegistry);
      console.log(JSON.stringify(report, null, 2));
      console.log(`bus: provisioned in ${((Date.now() - started) / 1000).toFixed(1)}s`);
      return 0;
    }
    case 'schemas': {
      if (rest.includes('--check')) {
        const drift = schemaDrift(platformRegistry);
        for (const d of drift) console.error(`${SCHEMA_DIR}/${d}`);
        if (drift.length > 0) console.error('run `npm run bus -- schemas` and commit the result');
        return drift.length === 0 ? 0 : 1;
      }
      for (const name of writeSchemaFiles(platformRegistry)) console.log(`wrote ${SCHEMA_DIR}/${name}`);
      return 0;
    }
    case 'list': {
      const rows = [
        ...platformRegistry.topics.map((t) => ['kafka topic', t.name, t.owner, t.kind, `${t.partitions}p`]),
        ...platformRegistry.streams.map((s) => [
          'nats stream',
          s.name,
          s.owner,
          '',
          `${s.consumers.length} consumers`,
        ]),
        ...platformRegistry.subjects.map((s) => [
          'nats subject',
          s.name,
          s.owner,
          s.kind,
          s.stream ?? 'core',
        ]),
      ];
      const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
      for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  '));
      return 0;
    }
    case 'env': {
      const service = rest[0];
      if (!service) {
        console.error('env needs a service name');
        return 2;
      }
      for (const [k, v] of Object.entries(credentialEnv(new CredentialStore().get(service))))
        console.log(`${k}=${v}`);
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof RegistryError ? error.message : `bus: ${(error as Error).stack ?? error}`);
    process.exitCode = 1;
  },
);
