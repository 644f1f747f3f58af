#!/usr/bin/env node
// `openfoundry device up|down|list|inspect …` against connector-management-service; see USAGE.
import { parseCliArgs, USAGE, UsageError } from './args.ts';
import { ConnectorsClient, ServiceError } from './client.ts';
import { runDeviceCommand } from './devices.ts';

async function main(argv: string[]): Promise<number> {
  const options = parseCliArgs(argv);
  if (options.command.kind === 'help') {
    console.log(USAGE);
    return 0;
  }
  const client = new ConnectorsClient(options.url, options.token);
  return runDeviceCommand(
    options.command,
    client,
    (line) => console.log(line),
    (line) => console.error(`openfoundry: ${line}`),
  );
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) {
    console.error(`openfoundry: ${error.message}`);
    if (error.showUsage) console.error(USAGE);
    process.exitCode = 2;
  } else if (error instanceof ServiceError) {
    console.error(`openfoundry: ${error.message}`);
    process.exitCode = 1;
  } else {
    console.error(`openfoundry: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  }
}
