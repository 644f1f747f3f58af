import type { CONNECTOR_PROTOCOLS } from '@openfoundry/bus-registry';

export type Protocol = (typeof CONNECTOR_PROTOCOLS)[number];

export type ReplicaState = 'live' | 'draining' | 'dead';

/** What the coordinator knows of a replica from its last heartbeat. */
export interface ReplicaView {
  id: string;
  protocols: readonly Protocol[];
  /** When its last heartbeat arrived (coordinator clock, ms). */
  lastHeartbeatAt: number;
  accepting: boolean;
}

/** A device as placement sees it. */
export interface DeviceView {
  /** `tenant/device`. */
  key: string;
  protocol: Protocol;
  /** HTTP push devices and devices with outbound rules run on every live replica. */
  everywhere: boolean;
}

/** Dead once the lease (time since the last heartbeat) has run out; draining while it refuses work. */
export function replicaState(replica: ReplicaView, now: number, leaseMs: number): ReplicaState {
  if (now - replica.lastHeartbeatAt > leaseMs) return 'dead';
  return replica.accepting ? 'live' : 'draining';
}

export function runsEverywhere(device: {
  protocol: Protocol;
  outbound?: readonly unknown[] | undefined;
}): boolean {
  return device.protocol === 'http' || (device.outbound?.length ?? 0) > 0;
}

/**
 * Places devices on replicas. `current` is where each single-replica device runs now (device key →
 * replica id). Every live, accepting replica gets an entry (possibly empty); draining and dead ones
 * get none, so their devices move. Single-replica devices stay where they are while that replica can
 * run them and the load stays within one device of even; the rest go to the least-loaded replica
 * supporting their protocol. Devices no replica supports are left out (and reported as unplaced).
 */
export function planAssignment(
  replicas: readonly ReplicaView[],
  devices: readonly DeviceView[],
  current: ReadonlyMap<string, string>,
  now: number,
  leaseMs: number,
): { assignment: Map<string, string[]>; placement: Map<string, string>; unplaced: string[] } {
  const usable = replicas
    .filter((r) => replicaState(r, now, leaseMs) === 'live')
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const assignment = new Map<string, string[]>(usable.map((r) => [r.id, []]));
  const supports = (replica: ReplicaView, device: DeviceView) => replica.protocols.includes(device.protocol);
  const placement = new Map<string, string>();
  const unplaced: string[] = [];

  const sorted = [...devices].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const single: DeviceView[] = [];
  for (const device of sorted) {
    if (!device.everywhere) {
      single.push(device);
      continue;
    }
    const targets = usable.filter((r) => supports(r, device));
    if (targets.length === 0) unplaced.push(device.key);
    for (const r of targets) assignment.get(r.id)?.push(device.key);
  }

  const singleByKey = new Map(single.map((d) => [d.key, d]));
  const load = new Map<string, number>(usable.map((r) => [r.id, 0]));
  const byId = new Map(usable.map((r) => [r.id, r]));
  const leastLoaded = (device: DeviceView) => {
    let best: ReplicaView | undefined;
    for (const r of usable) {
      if (!supports(r, device)) continue;
      if (!best || (load.get(r.id) ?? 0) < (load.get(best.id) ?? 0)) best = r;
    }
    return best;
  };

  // Sticky first: a device keeps its replica while that replica can still run it.
  const homeless: DeviceView[] = [];
  for (const device of single) {
    const home = byId.get(current.get(device.key) ?? '');
    if (home && supports(home, device)) {
      placement.set(device.key, home.id);
      load.set(home.id, (load.get(home.id) ?? 0) + 1);
    } else homeless.push(device);
  }
  for (const device of homeless) {
    const target = leastLoaded(device);
    if (!target) {
      unplaced.push(device.key);
      continue;
    }
    placement.set(device.key, target.id);
    load.set(target.id, (load.get(target.id) ?? 0) + 1);
  }

  // Even out: move a device from the fullest replica to one with at least two fewer, while any can
  // move. Each move narrows the spread, so this ends; the bound is only a guard.
  for (let guard = single.length * usable.length; guard > 0; guard--) {
    let moved = false;
    const fullestFirst = [...usable].sort((a, b) => (load.get(b.id) ?? 0) - (load.get(a.id) ?? 0));
    for (const from of fullestFirst) {
      const candidates = [...placement].filter(([, r]) => r === from.id).map(([key]) => key);
      for (const key of candidates.reverse()) {
        const device = singleByKey.get(key);
        if (!device) continue;
        const to = leastLoaded(device);
        if (!to || (load.get(from.id) ?? 0) - (load.get(to.id) ?? 0) < 2) continue;
        placement.set(key, to.id);
        load.set(from.id, (load.get(from.id) ?? 0) - 1);
        load.set(to.id, (load.get(to.id) ?? 0) + 1);
        moved = true;
        break;
      }
      if (moved) break;
    }
    if (!moved) break;
  }

  for (const [key, replica] of placement) assignment.get(replica)?.push(key);
  for (const keys of assignment.values()) keys.sort();
  return { assignment, placement, unplaced };
}
