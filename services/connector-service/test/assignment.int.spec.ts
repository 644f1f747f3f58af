import { subjects } from '@openfoundry/bus-registry';
import type { ControlSubscription } from '@openfoundry/event-bus-control';
import { readPlatformEnv } from '@openfoundry/infra-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Connector,
  deviceSpec,
  eventually,
  FakeCoordinator,
  startConnector,
  unique,
} from './harness.ts';

interface Heartbeat {
  replica: string;
  assignmentVersion: number;
  accepting: boolean;
  protocols: string[];
  url: string;
  devices: { tenant: string; device: string; status: string; counters: Record<string, number> }[];
}

describe('assignments and heartbeats', () => {
  let connector: Connector;
  let coordinator: FakeCoordinator;
  let watch: ControlSubscription;
  const beats: Heartbeat[] = [];

  beforeAll(async () => {
    // A standby replica: it announces accepting=false (the harness default) and runs what it is given.
    connector = await startConnector({ CONNECTOR_PUBLIC_URL: 'http://connector.test:4022' });
    coordinator = await FakeCoordinator.connect();
    watch = coordinator.bus.subscribe(subjects.connectorHeartbeat, {
      tokens: { replica: connector.replica },
      handler: async (message) => {
        beats.push(message.value as Heartbeat);
      },
    });
    await watch.ready;
  });
  afterAll(async () => {
    await watch?.close();
    await coordinator?.close();
    await connector?.close();
  });

  const latest = () => beats.at(-1);
  const base = Date.now() * 2;

  it('runs exactly the assigned devices: apply, replace, ignore an older version, remove', async () => {
    const tenant = unique('t');
    const broker = readPlatformEnv().OPENFOUNDRY_MQTT_URL;
    const a = deviceSpec({ tenant, protocol: 'http' });
    const b = deviceSpec({
      tenant,
      protocol: 'mqtt',
      endpoint: broker,
      points: [{ topic: `${unique('of-test')}/{asset}/{attribute}`, kind: 'sample', writable: false }],
    });

    expect(await coordinator.assign(connector.replica, [a], base + 10)).toEqual({
      replica: connector.replica,
      version: base + 10,
      running: [`${tenant}/${a.id}`],
      rejected: [],
    });

    const noEndpoint = deviceSpec({ tenant, protocol: 'opcua' });
    const replaced = await coordinator.assign(
      connector.replica,
      [b, noEndpoint, { ...b, revision: 2 }],
      base + 11,
    );
    expect(replaced.version).toBe(base + 11);
    expect(replaced.running).toEqual([`${tenant}/${b.id}`]);
    expect(replaced.rejected).toEqual([
      { tenant, device: noEndpoint.id, reason: expect.stringContaining('opc.tcp') },
      { tenant, device: b.id, reason: expect.stringContaining('twice') },
    ]);

    const stale = await coordinator.assign(connector.replica, [a], base + 9);
    expect(stale.version).toBe(base + 11);
    expect(stale.running).toEqual([`${tenant}/${b.id}`]);

    const beat = await eventually(() => {
      const last = latest();
      if (last?.assignmentVersion !== base + 11 || last.devices[0]?.status !== 'online')
        throw new Error('not yet');
      return last;
    });
    expect(beat).toMatchObject({
      replica: connector.replica,
      accepting: false,
      url: 'http://connector.test:4022',
      protocols: ['mqtt', 'opcua', 'http'],
      devices: [
        {
          tenant,
          device: b.id,
          status: 'online',
          counters: { received: 0, published: 0, deadLettered: 0, commands: 0 },
        },
      ],
    });

    const removed = await coordinator.assign(connector.replica, [], base + 12);
    expect(removed).toMatchObject({ version: base + 12, running: [], rejected: [] });
    await eventually(() => {
      if (latest()?.assignmentVersion !== base + 12 || latest()?.devices.length !== 0)
        throw new Error('not yet');
    });
  });

  it('refuses an assignment for another replica', async () => {
    await expect(
      coordinator.send(() =>
        coordinator.bus.request(subjects.connectorAssign, {
          tokens: { replica: connector.replica },
          value: { replica: 'someone-else', version: base + 99, devices: [] },
        }),
      ),
    ).rejects.toThrow(/someone-else/);
  });
});
