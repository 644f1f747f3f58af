#!/usr/bin/env node
// `npm run infra -- up|down|status|logs [server] [-n N]|reset [--yes]`
import { describeError, InfraError } from './errors.ts';
import { seconds } from './install.ts';
import { COMPONENT_NAMES, down, formatStatusTable, logs, reset, status, up } from './runner.ts';

const USAGE = `usage: infra up [server...] | down [server...] | status [server...] | logs [server] [-n N] | reset [--yes]
servers: ${COMPONENT_NAMES.join(', ')}`;

const log = (message: string) => console.log(`[infra] ${message}`);

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const flags = new Set(rest.filter((arg) => arg.startsWith('-')));
  const servers = rest.filter((arg, i) => !arg.startsWith('-') && rest[i - 1] !== '-n');
  switch (command) {
    case 'up': {
      const result = await up({ servers, log });
      console.log(`\n${formatStatusTable(result.statuses)}\n`);
      log(
        `platform up in ${seconds(result.totalMs)}; settings in ${process.env.OPENFOUNDRY_STATE ?? '.openfoundry'}/platform.env`,
      );
      return 0;
    }
    case 'status':
      console.log(formatStatusTable(await status({ servers, log })));
      return 0;
    case 'down':
      await down({ servers, log });
      return 0;
    case 'logs': {
      const n = rest.indexOf('-n');
      const lines = n >= 0 ? Number(rest[n + 1]) : 50;
      if (!Number.isInteger(lines) || lines <= 0) throw new InfraError('-n needs a positive number of lines');
      console.log(logs({ servers, lines }));
      return 0;
    }
    case 'reset':
      await reset({ yes: flags.has('--yes') || flags.has('-y'), log });
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  for (const line of describeError(error).split('\n')) console.error(`[infra] error: ${line}`);
  process.exitCode = 1;
}
