// Run as a child process by crash-redelivery.int.spec.ts: consumes the fixture's `jobs` durable,
// writes the number of the first job it receives to a file, and then hangs without acking until
// the test kills it with SIGKILL.
import { appendFileSync } from 'node:fs';
import { connectAs, controlRegistry } from './fixture.ts';

const [run, outFile] = process.argv.slice(2);
if (!run || !outFile) throw new Error('usage: crash-consumer.ts <run> <out-file>');

const fixture = controlRegistry(run);
const bus = await connectAs(fixture, fixture.b);
await bus.consume<{ n: number }>(fixture.streams.things, {
  durable: `${run}-b-jobs`,
  handler: async (message) => {
    appendFileSync(outFile, `${message.value.n}\n`);
    await new Promise(() => {});
  },
});
process.stdout.write('consuming\n');
