#!/usr/bin/env node
// `bus-lint [--root <dir>] [--format text|json|sarif] [--rule <id>]... [--ignore <id>]... [--registry <module>#<export>] [--output <file>]`
import { writeFileSync } from 'node:fs';
import { parseCliArgs, USAGE, UsageError } from './args.ts';
import { format, summary } from './formats.ts';
import { lint } from './lint.ts';
import { SetupError } from './registry.ts';

async function main(argv: string[]): Promise<number> {
  const options = parseCliArgs(argv);
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  const result = await lint(options);
  const report = format(result, options.format);
  if (options.output) {
    writeFileSync(options.output, report);
    console.log(`${summary(result)}; report in ${options.output}`);
  } else {
    process.stdout.write(report);
  }
  return result.findings.some((f) => f.severity === 'error') ? 1 : 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError || error instanceof SetupError) {
    console.error(`bus-lint: ${error.message}`);
    if (error instanceof UsageError) console.error(USAGE);
    process.exitCode = 2;
  } else {
    console.error(`bus-lint: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 2;
  }
}
