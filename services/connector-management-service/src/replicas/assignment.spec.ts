import { describe, expect, it } from 'vitest';
import { type DeviceView, planAssignment, type ReplicaView, replicaState } from './assignment.ts';

const NOW = 1_000_000;
const LEASE = 3_000;

const replica = (id: string, overrides: Partial<ReplicaView> = {}): ReplicaView => ({
  id,
  protocols: ['mqtt', 'opcua', 'http'],
  lastHeartbeatAt: NOW - 500,
  accepting: true,
  ...overrides,
});
const mqtt = (n: number): DeviceView[] =>
  Array.from({ length: n }, (_, i) => ({ key: `t/d${i}`, protocol: 'mqtt', everywhere: false }));
const plan = (replicas: ReplicaView[], devices: DeviceView[], current = new Map<string, string>()) =>
  planAssignment(replicas, devices, current, NOW, LEASE);
const counts = (assignment: Map<string, string[]>) =>
  Object.fromEntries([...assignment].map(([r, keys]) => [r, keys.length]));

describe('replicaState', () => {
  it('is live within the lease, draining when not accepting, dead after the lease', () => {
    expect(replicaState(replica('a'), NOW, LEASE)).toBe('live');
    expect(replicaState(replica('a', { accepting: false }), NOW, LEASE)).toBe('draining');
    expect(replicaState(replica('a', { lastHeartbeatAt: NOW - LEASE - 1 }), NOW, LEASE)).toBe('dead');
    expect(replicaState(replica('a', { lastHeartbeatAt: NOW - LEASE }), NOW, LEASE)).toBe('live');
  });
});

describe('planAssignment', () => {
  it('gives one replica every device', () => {
    const { assignment } = plan([replica('a')], mqtt(3));
    expect(assignment.get('a')).toEqual(['t/d0', 't/d1', 't/d2']);
  });

  it('splits devices evenly between two replicas', () => {
    const { assignment } = plan([replica('a'), replica('b')], mqtt(6));
    expect(counts(assignment)).toEqual({ a: 3, b: 3 });
  });

  it('moves only what balance needs when a replica joins', () => {
    const before = plan([replica('a')], mqtt(4));
    const after = plan([replica('a'), replica('b')], mqtt(4), before.placement);
    expect(counts(after.assignment)).toEqual({ a: 2, b: 2 });
    // Two stayed on a, exactly two moved.
    const stayed = [...after.placement].filter(([key, r]) => r === 'a' && before.placement.get(key) === 'a');
    expect(stayed).toHaveLength(2);
  });

  it('keeps devices where they are when nothing changed', () => {
    const current = new Map([
      ['t/d0', 'b'],
      ['t/d1', 'a'],
      ['t/d2', 'b'],
      ['t/d3', 'a'],
    ]);
    const { placement } = plan([replica('a'), replica('b')], mqtt(4), current);
    expect(placement).toEqual(current);
  });

  it("moves a dead replica's devices to the live ones", () => {
    const current = new Map([
      ['t/d0', 'a'],
      ['t/d1', 'b'],
    ]);
    const { assignment } = plan(
      [replica('a'), replica('b', { lastHeartbeatAt: NOW - 10_000 })],
      mqtt(2),
      current,
    );
    expect(assignment.get('a')).toEqual(['t/d0', 't/d1']);
    expect(assignment.has('b')).toBe(false);
  });

  it('takes every device away from a draining replica', () => {
    const current = new Map([['t/d0', 'b']]);
    const { assignment } = plan([replica('a'), replica('b', { accepting: false })], mqtt(1), current);
    expect(assignment.get('a')).toEqual(['t/d0']);
    expect(assignment.has('b')).toBe(false);
  });

  it('places a device only on replicas that support its protocol', () => {
    const devices: DeviceView[] = [
      { key: 't/opc', protocol: 'opcua', everywhere: false },
      { key: 't/mq', protocol: 'mqtt', everywhere: false },
    ];
    const { assignment, unplaced } = plan(
      [replica('a', { protocols: ['mqtt'] }), replica('b', { protocols: ['mqtt'] })],
      devices,
    );
    expect([...assignment.values()].flat()).toEqual(['t/mq']);
    expect(unplaced).toEqual(['t/opc']);
  });

  it('puts HTTP push devices and devices with outbound rules on every live replica', () => {
    const devices: DeviceView[] = [
      { key: 't/push', protocol: 'http', everywhere: true },
      { key: 't/out', protocol: 'mqtt', everywhere: true },
      ...mqtt(2),
    ];
    const { assignment } = plan([replica('a'), replica('b'), replica('c', { lastHeartbeatAt: 0 })], devices);
    expect(assignment.get('a')).toEqual(expect.arrayContaining(['t/push', 't/out']));
    expect(assignment.get('b')).toEqual(expect.arrayContaining(['t/push', 't/out']));
    expect(counts(assignment)).toEqual({ a: 3, b: 3 });
  });

  it('balances within one device when protocols differ', () => {
    const devices: DeviceView[] = [
      ...mqtt(5),
      ...Array.from(
        { length: 3 },
        (_, i): DeviceView => ({ key: `t/o${i}`, protocol: 'opcua', everywhere: false }),
      ),
    ];
    const replicas = [replica('a', { protocols: ['mqtt', 'opcua'] }), replica('b', { protocols: ['mqtt'] })];
    const { assignment } = plan(replicas, devices);
    expect(assignment.get('a')?.filter((k) => k.startsWith('t/o'))).toHaveLength(3);
    expect(counts(assignment)).toEqual({ a: 4, b: 4 });
  });

  it('assigns nothing when no replica is live', () => {
    const { assignment, unplaced } = plan([replica('a', { lastHeartbeatAt: 0 })], mqtt(2));
    expect(assignment.size).toBe(0);
    expect(unplaced).toEqual(['t/d0', 't/d1']);
  });
});
