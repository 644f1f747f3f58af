import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPlatformEnv } from '@openfoundry/infra-local';
import { FaultProxy } from '@openfoundry/infra-local/testing';
import { describe, expect, it } from 'vitest';
import { dataFixture, readBackReport, reading, until } from './factories.ts';

describe('data bus resilience', () => {
  it('redelivers a record whose consumer process was killed between receipt and commit', async () => {
    const fx = await dataFixture({ partitions: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'of-crash-'));
    const out = join(dir, 'received.txt');
    const total = 200;
    const hangAt = 120;
    try {
      const pub = (await fx.bus(fx.names.producer)).publisher(fx.readings, { job: 'test.crash' });
      await pub.publishMany(
        Array.from({ length: total }, (_, s) => ({ key: 'asset-c', value: reading('asset-c', s) })),
      );
      const creds = fx.credentials(fx.names.consumer);
      const child = spawn(process.execPath, [join(import.meta.dirname, 'fixtures', 'hanging-consumer.ts')], {
        env: {
          ...process.env,
          FIXTURE_NAMES: JSON.stringify(fx.names),
          HANG_AT: String(hangAt),
          OUT_FILE: out,
          BROKERS: fx.kafkaBrokers.join(','),
          KAFKA_USERNAME: creds.kafka.username,
          KAFKA_PASSWORD: creds.kafka.password,
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      const childSeen = () =>
        existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n').map(Number) : [];
      await until(() => childSeen().includes(hangAt), 60_000, `the child to receive ${hangAt}`);
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));

      const after: number[] = [];
      const consumer = await (await fx.bus(fx.names.consumer)).consume(fx.readings, {
        group: fx.group,
        handler: async (m) => {
          after.push(m.value.seq);
        },
      });
      await until(() => after.includes(total - 1), 90_000, 'the rest of the records');
      await consumer.close();

      expect(after).toContain(hangAt);
      expect(after[0]).toBeLessThanOrEqual(hangAt);
      const union = new Set([...childSeen().filter((s) => s < hangAt), ...after]);
      expect([...Array(total).keys()].filter((s) => !union.has(s))).toEqual([]);
      expect(after).toEqual([...after].sort((a, b) => a - b));
    } finally {
      await fx.teardown();
    }
  });

  it('keeps 100k concurrent idempotent records exactly once and in order while the broker link is cut and restored', async () => {
    const fx = await dataFixture({ partitions: 4 });
    const env = readPlatformEnv();
    const proxy = new FaultProxy({
      listenPort: Number(env.OPENFOUNDRY_KAFKA_FAULT_PROXY_PORT),
      targetPort: Number(env.OPENFOUNDRY_KAFKA_FAULT_PORT),
    });
    await proxy.start();
    try {
      const bus = await fx.bus(fx.names.producer, {
        brokers: [`127.0.0.1:${env.OPENFOUNDRY_KAFKA_FAULT_PROXY_PORT}`],
        maxQueuedBytes: 4 * 1024 * 1024,
      });
      const pub = bus.publisher(fx.readings, { job: 'test.fault' });
      const assets = 500;
      const perAsset = 200;
      const cutsAt = new Set([20_000, 55_000, 80_000]);
      const sends: Promise<unknown>[] = [];
      let n = 0;
      for (let s = 0; s < perAsset; s++) {
        for (let a = 0; a < assets; a++) {
          sends.push(pub.publish({ key: `asset-${a}`, value: reading(`asset-${a}`, s) }));
          n += 1;
          if (cutsAt.has(n)) {
            proxy.cut();
            setTimeout(() => proxy.restore(), 1_500);
          }
          if (n % 2_000 === 0) await pub.room();
        }
      }
      const settled = await Promise.allSettled(sends);
      const failures = settled.filter((r) => r.status === 'rejected');
      expect(failures.length).toBe(0);
      expect(proxy.severed).toBeGreaterThan(0);

      expect(await readBackReport(fx, assets, perAsset, 120_000)).toEqual({
        lost: 0,
        duplicated: 0,
        reordered: 0,
        total: assets * perAsset,
      });
    } finally {
      await proxy.stop();
      await fx.teardown();
    }
  });
});
