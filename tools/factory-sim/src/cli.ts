#!/usr/bin/env node
// `factory-sim --tenant <id> [--mqtt <url>] [--http <url>] [--opcua-port <port>] …` (see USAGE).
import { writeFileSync } from 'node:fs';
import { format } from 'node:util';
import { parseCliArgs, USAGE, UsageError } from './args.ts';
import { deviceSpecs, devicesYaml } from './devices.ts';
import { LayoutError } from './layout.ts';
import { type Progress, Simulator } from './simulator.ts';

function progressLine(progress: Progress, previous: Progress | undefined): string {
  const seconds = (progress.elapsedMs / 1000).toFixed(1);
  const parts = Object.entries(progress.protocols).map(([protocol, p]) => {
    const before = previous?.protocols[protocol as keyof Progress['protocols']]?.sent ?? 0;
    const span = (progress.elapsedMs - (previous?.elapsedMs ?? 0)) / 1000;
    const rate = span > 0 ? ((p.sent - before) / span).toFixed(1) : '0.0';
    return `${protocol} sent=${p.sent} acked=${p.acked} in-flight=${p.inFlight} rejected=${p.rejected} retries=${p.retries} rate=${rate}/s`;
  });
  return `factory-sim ${seconds}s ${parts.join(' | ')}`;
}

// node-opcua logs to stdout by default; stdout carries the JSON summary only.
async function opcuaLogsToStderr(): Promise<void> {
  const { setDebugLogger, setErrorLogger, setWarningLogger } = await import('node-opcua');
  const toStderr = (_context?: unknown, ...args: unknown[]) =>
    console.error(`factory-sim opcua: ${format(...args)}`);
  setDebugLogger(toStderr);
  setWarningLogger(toStderr);
  setErrorLogger(toStderr);
}

async function main(argv: string[]): Promise<number> {
  const options = parseCliArgs(argv);
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  const sim = new Simulator({ ...options.sim, log: (message) => console.error(`factory-sim: ${message}`) });
  if (options.devicesFile) {
    writeFileSync(options.devicesFile, devicesYaml(deviceSpecs(sim.layout, options.devices)));
    console.error(`factory-sim: device specs written to ${options.devicesFile}`);
    if (options.devicesOnly) return 0;
  }
  if (options.sim.opcua) await opcuaLogsToStderr();
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) {
      console.error(`factory-sim: ${signal} again, exiting without draining`);
      process.exit(130);
    }
    console.error(`factory-sim: ${signal}, stopping`);
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let previous: Progress | undefined;
  const reporter = setInterval(() => {
    const progress = sim.progress();
    console.error(progressLine(progress, previous));
    previous = progress;
  }, options.reportEveryMs);
  try {
    const summary = await sim.run({
      signal: stop.signal,
      ...(options.durationMs === undefined ? {} : { durationMs: options.durationMs }),
    });
    console.error(progressLine(summary, previous));
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return Object.values(summary.protocols).some((p) => p.rejected > 0 || p.unacked > 0) ? 1 : 0;
  } finally {
    clearInterval(reporter);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError || error instanceof LayoutError || error instanceof RangeError) {
    console.error(`factory-sim: ${error.message}`);
    if (error instanceof UsageError) console.error(USAGE);
    process.exitCode = 2;
  } else if (typeof (error as NodeJS.ErrnoException).code === 'string') {
    // A connection or file error: the message says it all.
    console.error(`factory-sim: ${(error as Error).message}`);
    process.exitCode = 1;
  } else {
    console.error(`factory-sim: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  }
}
