import { describe, expect, it } from 'vitest';
import type { ReplicaView } from '../replicas/assignment.ts';
import { recordingReplicas } from './command-record-relay.service.ts';

const NOW = 1_000_000;
const LEASE = 3_000;

const replica = (id: string, overrides: Partial<ReplicaView> = {}): ReplicaView => ({
  id,
  protocols: ['mqtt'],
  lastHeartbeatAt: NOW - 500,
  accepting: true,
  ...overrides,
});

describe('recordingReplicas', () => {
  it('is empty without a replica, or with only dead ones', () => {
    expect(recordingReplicas([], NOW, LEASE)).toEqual([]);
    expect(recordingReplicas([replica('a', { lastHeartbeatAt: NOW - LEASE - 1 })], NOW, LEASE)).toEqual([]);
  });

  it('leaves dead replicas out and puts draining ones after live ones', () => {
    const replicas = [
      replica('draining', { accepting: false, lastHeartbeatAt: NOW }),
      replica('dead', { lastHeartbeatAt: NOW - LEASE - 1 }),
      replica('live'),
    ];
    expect(recordingReplicas(replicas, NOW, LEASE)).toEqual(['live', 'draining']);
  });

  it('prefers the replica heard from most recently, then the lower id', () => {
    const replicas = [
      replica('c', { lastHeartbeatAt: NOW - 2_000 }),
      replica('b', { lastHeartbeatAt: NOW - 100 }),
      replica('a', { lastHeartbeatAt: NOW - 100 }),
    ];
    expect(recordingReplicas(replicas, NOW, LEASE)).toEqual(['a', 'b', 'c']);
  });
});
