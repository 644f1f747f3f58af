import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Checksum } from './checksum.ts';
import { type SimEvent, TruthLog, truthLastValues, truthSummary } from './truth.ts';

const dir = mkdtempSync(join(tmpdir(), 'factory-sim-truth-'));
const event = (asset: string, seq: number, tenant = 'acme'): SimEvent => ({
  tenant,
  asset,
  attribute: 'temperature',
  seq,
  value: seq / 2,
  ts: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
});

describe(TruthLog.name, () => {
  it('writes one JSON line per outcome and tallies only the acked ones', async () => {
    const file = join(dir, 'outcomes.ndjson');
    const log = new TruthLog(file);
    await log.open();
    log.record(event('a1', 0), 'mqtt', 'acked');
    log.record(event('a1', 1), 'mqtt', 'unacked');
    log.record(event('a2', 0), 'http', 'rejected');
    log.record(event('a2', 1), 'http', 'acked');
    await log.close();
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    expect(lines[0]).toEqual({ ...event('a1', 0), protocol: 'mqtt', status: 'acked' });
    expect(log.tally.summary().map((a) => [a.asset, a.count])).toEqual([
      ['a1', 1],
      ['a2', 1],
    ]);
  });
});

describe(truthSummary.name, () => {
  it('counts and checksums acked events per tenant and asset, as the run tallied them', async () => {
    const file = join(dir, 'summary.ndjson');
    const log = new TruthLog(file);
    await log.open();
    for (let seq = 0; seq < 30; seq++)
      log.record(event(`a${seq % 3}`, seq), seq % 2 ? 'mqtt' : 'http', 'acked');
    log.record(event('a0', 99, 'other'), 'mqtt', 'acked');
    log.record(event('a0', 100), 'mqtt', 'unacked');
    await log.close();
    const summary = await truthSummary(file);
    expect(summary).toEqual(log.tally.summary());
    expect(summary.map((a) => `${a.tenant}/${a.asset}:${a.count}`)).toEqual([
      'acme/a0:10',
      'acme/a1:10',
      'acme/a2:10',
      'other/a0:1',
    ]);
    const expected = new Checksum();
    for (let seq = 0; seq < 30; seq += 3) expected.add(event('a0', seq));
    expect(summary[0]?.checksum).toBe(expected.value);
  });

  it('restricts the summary to one protocol', async () => {
    const file = join(dir, 'protocols.ndjson');
    const log = new TruthLog(file);
    await log.open();
    log.record(event('a1', 0), 'mqtt', 'acked');
    log.record(event('a1', 1), 'opcua', 'acked');
    log.record(event('a2', 0), 'opcua', 'acked');
    await log.close();
    expect((await truthSummary(file, { protocol: 'opcua' })).map((a) => [a.asset, a.count])).toEqual([
      ['a1', 1],
      ['a2', 1],
    ]);
  });

  it('fails to open a file in a directory that does not exist', async () => {
    await expect(new TruthLog(join(dir, 'no-such-dir', 'truth.ndjson')).open()).rejects.toThrow(/ENOENT/);
  });

  it('names the file and line of a malformed entry', async () => {
    const file = join(dir, 'broken.ndjson');
    writeFileSync(
      file,
      `${JSON.stringify({ ...event('a1', 0), protocol: 'mqtt', status: 'acked' })}\n{not json\n`,
    );
    await expect(truthSummary(file)).rejects.toThrow(`${file}:2`);
  });

  it('fails for a missing file', async () => {
    await expect(truthSummary(join(dir, 'missing.ndjson'))).rejects.toThrow(/ENOENT/);
  });
});

describe(truthLastValues.name, () => {
  it('keeps the acked entry with the highest sequence per attribute, whatever the line order', async () => {
    const file = join(dir, 'last.ndjson');
    const log = new TruthLog(file);
    await log.open();
    log.record(event('a1', 2), 'opcua', 'acked');
    log.record(event('a1', 5), 'opcua', 'acked');
    log.record(event('a1', 3), 'opcua', 'acked');
    log.record(event('a1', 9), 'opcua', 'unacked');
    log.record(event('a2', 0), 'mqtt', 'acked');
    await log.close();
    const last = await truthLastValues(file, { protocol: 'opcua' });
    expect([...last.keys()]).toEqual(['acme/a1/temperature']);
    expect(last.get('acme/a1/temperature')).toMatchObject({ seq: 5, value: 2.5 });
  });
});
