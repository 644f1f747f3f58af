import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Checksum, eventHash, eventHashInput } from './checksum.ts';

describe(eventHashInput.name, () => {
  it('joins asset, attribute, sequence and the JSON of the value with |', () => {
    expect(eventHashInput({ asset: 'press-1', attribute: 'temperature', seq: 7, value: 20 })).toBe(
      'press-1|temperature|7|20',
    );
    expect(eventHashInput({ asset: 'a', attribute: 'b', seq: 0, value: 20.5 })).toBe('a|b|0|20.5');
    expect(eventHashInput({ asset: 'a', attribute: 'b', seq: 1, value: true })).toBe('a|b|1|true');
    expect(eventHashInput({ asset: 'a', attribute: 'b', seq: 2, value: 'say "hi"' })).toBe(
      'a|b|2|"say \\"hi\\""',
    );
  });
});

describe(eventHash.name, () => {
  it('is the first 8 bytes of SHA-256 of the input, big-endian', () => {
    const event = { asset: 'asset-0001', attribute: 'temperature', seq: 0, value: 49.448 };
    const digest = createHash('sha256').update('asset-0001|temperature|0|49.448').digest('hex');
    expect(eventHash(event)).toBe(BigInt(`0x${digest.slice(0, 16)}`));
  });

  it('tells apart a number and the same digits as a string', () => {
    expect(eventHash({ asset: 'a', attribute: 'b', seq: 0, value: 1 })).not.toBe(
      eventHash({ asset: 'a', attribute: 'b', seq: 0, value: '1' }),
    );
  });
});

describe(Checksum.name, () => {
  const events = Array.from({ length: 50 }, (_, seq) => ({
    asset: 'a',
    attribute: 'x',
    seq,
    value: seq * 1.5,
  }));

  it('does not depend on the order of the events', () => {
    const forward = new Checksum();
    for (const e of events) forward.add(e);
    const backward = new Checksum();
    for (const e of [...events].reverse()) backward.add(e);
    expect(backward.value).toBe(forward.value);
    expect(forward.count).toBe(50);
  });

  it('is the sum of the hashes modulo 2^64, as a decimal string', () => {
    const sum = new Checksum();
    for (const e of events) sum.add(e);
    const expected = events.reduce((acc, e) => (acc + eventHash(e)) % 2n ** 64n, 0n);
    expect(sum.value).toBe(expected.toString());
    expect(BigInt(sum.value)).toBeLessThan(2n ** 64n);
  });

  it('changes with a duplicate, a missing event or a different value', () => {
    const base = new Checksum();
    for (const e of events) base.add(e);
    const duplicate = new Checksum();
    for (const e of [...events, events[3] as (typeof events)[number]]) duplicate.add(e);
    const missing = new Checksum();
    for (const e of events.slice(1)) missing.add(e);
    const changed = new Checksum();
    for (const e of events) changed.add(e.seq === 10 ? { ...e, value: 0 } : e);
    expect(new Set([base.value, duplicate.value, missing.value, changed.value]).size).toBe(4);
  });

  it('is 0 for no events', () => {
    expect(new Checksum().value).toBe('0');
  });
});

describe('the README example', () => {
  it('gives the documented hashes and checksum', () => {
    const temperature = { asset: 'asset-0001', attribute: 'temperature', seq: 0, value: 49.448 };
    const running = { asset: 'asset-0001', attribute: 'running', seq: 0, value: true };
    expect(eventHash(temperature)).toBe(4413362279176007913n);
    expect(eventHash(running)).toBe(5902279017003613190n);
    const sum = new Checksum();
    sum.add(temperature);
    sum.add(running);
    expect(sum.value).toBe('10315641296179621103');
  });
});
