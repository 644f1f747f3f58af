import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { subjects } from '@openfoundry/bus-registry';
import { freePort, startServiceProcess, waitForReady } from '@openfoundry/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busEnv, deviceSpec, eventually, FakeCoordinator, INGEST_TOKENS, unique } from './harness.ts';

// The built service as an operator runs it: a real process, real signals, real exit codes.
const entry = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));

interface Beat {
  accepting: boolean;
  url: string;
  devices: unknown[];
}

describe('the connector-service process', () => {
  let coordinator: FakeCoordinator;

  beforeAll(async () => {
    expect(existsSync(entry), `${entry} is missing: build the service first`).toBe(true);
    coordinator = await FakeCoordinator.connect();
  });
  afterAll(async () => {
    await coordinator?.close();
  });

  it('refuses to start with a replica id that is not a subject token, naming the variable', async () => {
    const run = startServiceProcess(entry, { ...(await busEnv()), CONNECTOR_REPLICA_ID: 'not.a.token' });
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/CONNECTOR_REPLICA_ID/);
  });

  it('answers 503 with Retry-After past its in-flight budget, and drains on SIGTERM', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const replica = unique('proc-replica');
    const beats: Beat[] = [];
    const watch = coordinator.bus.subscribe(subjects.connectorHeartbeat, {
      tokens: { replica },
      handler: async (message) => {
        beats.push(message.value as Beat);
      },
    });
    await watch.ready;
    const run = startServiceProcess(entry, {
      ...(await busEnv()),
      PORT: String(port),
      CONNECTOR_REPLICA_ID: replica,
      CONNECTOR_INGEST_TOKENS: `${INGEST_TOKENS.acme}=acme`,
      CONNECTOR_MAX_IN_FLIGHT: '2',
      // Standby, so a coordinator running on this machine's platform leases it none of its devices.
      CONNECTOR_ACCEPTING: 'false',
    });
    try {
      await waitForReady(url, run, 60_000);
      const device = deviceSpec({ tenant: 'acme', protocol: 'http' });
      await coordinator.assign(replica, [device]);
      const response = await fetch(`${url}/v1/ingest/acme/${device.id}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${INGEST_TOKENS.acme}`, 'content-type': 'application/json' },
        body: JSON.stringify([1, 2, 3].map((value) => ({ attribute: 'count', value }))),
      });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('1');
      await eventually(() => {
        if (!beats.some((b) => b.url === `http://127.0.0.1:${port}` && b.devices.length === 1))
          throw new Error('no heartbeat with the device yet');
      });

      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      // The last heartbeat comes after the devices stopped.
      expect(beats.at(-1)).toMatchObject({ accepting: false, devices: [] });
    } finally {
      run.child.kill('SIGKILL');
      await watch.close();
    }
  });
});
