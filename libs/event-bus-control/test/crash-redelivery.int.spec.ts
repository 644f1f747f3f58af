// At-least-once across a crash: a consumer process is killed with SIGKILL after it received a
// message and before it acked; after ack_wait the server hands the message to the next consumer.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlBus } from '../src/index.ts';
import {
  type ControlFixture,
  connectAs,
  provisionFixture,
  teardownFixture,
  until,
} from './support/fixture.ts';

const CHILD = fileURLToPath(new URL('./support/crash-consumer.ts', import.meta.url));
const JOBS = 20;

let f: ControlFixture;
let owner: ControlBus;
let survivor: ControlBus | undefined;
let child: ChildProcess | undefined;

beforeAll(async () => {
  f = await provisionFixture();
  owner = await connectAs(f, f.a);
});

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await survivor?.close();
  await owner?.close();
  if (f) await teardownFixture(f);
});

function startChild(outFile: string): Promise<ChildProcess> {
  const process_ = spawn(process.execPath, [CHILD, f.run, outFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the consumer process did not start: ${output}`)),
      30_000,
    );
    process_.stdout?.on('data', (chunk: Buffer) => {
      output += chunk;
      if (output.includes('consuming')) {
        clearTimeout(timer);
        resolve(process_);
      }
    });
    process_.stderr?.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    process_.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the consumer process exited with ${code}: ${output}`));
    });
  });
}

describe('a consumer process killed between receipt and ack', () => {
  it('loses nothing: the message it held is redelivered to the next consumer after ack_wait', async () => {
    const outFile = join(mkdtempSync(join(tmpdir(), 'of-crash-')), 'received');
    child = await startChild(outFile);

    const publisher = owner.publisher(f.subjects.queued);
    for (let n = 0; n < JOBS; n++) {
      await publisher.publish({ tokens: { tenant: 'crash' }, value: { n }, msgId: `${f.run}-job-${n}` });
    }
    const held = await until('the child to receive a job', () =>
      existsSync(outFile) ? Number(readFileSync(outFile, 'utf8').split('\n')[0]) : undefined,
    );

    const exited = new Promise((resolve) => child?.on('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const deliveries = new Map<number, number[]>();
    survivor = await connectAs(f, f.b);
    const consumer = await survivor.consume<{ n: number }>(f.streams.things, {
      durable: `${f.run}-b-jobs`,
      concurrency: 4,
      handler: async (message) => {
        deliveries.set(message.value.n, [...(deliveries.get(message.value.n) ?? []), message.attempt]);
      },
    });
    await until('every job to be processed', () => (deliveries.size === JOBS ? true : undefined), 60_000);
    await until('every job to be acked', () => (consumer.stats().acked >= JOBS ? true : undefined));
    await consumer.close();

    // Sequence check: every job number exactly once among the successes, none missing.
    expect([...deliveries.keys()].sort((x, y) => x - y)).toEqual(Array.from({ length: JOBS }, (_, n) => n));
    // The job the killed process held came back as a redelivery.
    expect(Math.max(...(deliveries.get(held) ?? []))).toBeGreaterThanOrEqual(2);
  });
});
