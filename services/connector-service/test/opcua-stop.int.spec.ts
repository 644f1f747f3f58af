import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '@openfoundry/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceManager } from '../src/devices/device-manager.ts';
import {
  type Connector,
  deviceOnline,
  deviceSpec,
  FakeCoordinator,
  startConnector,
  unique,
} from './harness.ts';

// The test server in a process of its own, so it can be stalled (SIGSTOP): a server that stops
// answering without closing its connections, as a hung PLC does.
const serverModule = fileURLToPath(new URL('./opcua-server.ts', import.meta.url));

async function startServerProcess(port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(serverModule)}); await m.startOpcuaServer(${port}); console.log('ready');`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ready')) resolve();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => reject(new Error(`the OPC UA server exited (${code}):\n${output}`)));
  });
  return child;
}

describe('an OPC UA device whose server stopped answering', () => {
  let connector: Connector;
  let coordinator: FakeCoordinator;
  let server: ChildProcess;
  const tenant = unique('t');
  const deviceId = unique('plc');

  beforeAll(async () => {
    const port = await freePort();
    server = await startServerProcess(port);
    connector = await startConnector();
    coordinator = await FakeCoordinator.connect();
    const reply = await coordinator.assign(connector.replica, [
      deviceSpec({
        tenant,
        id: deviceId,
        protocol: 'opcua',
        endpoint: `opc.tcp://127.0.0.1:${port}`,
        points: [
          {
            asset: 'press-1',
            attribute: 'temperature',
            nodeId: 'ns=1;s=Press1.Temperature',
            samplingIntervalMs: 50,
            kind: 'sample',
            writable: false,
          },
        ],
      }),
    ]);
    expect(reply.rejected).toEqual([]);
    await deviceOnline(connector, tenant, deviceId);
  }, 90_000);
  afterAll(async () => {
    server?.kill('SIGKILL');
    await coordinator?.close();
    await connector?.close();
  });

  // Each closing step waits at most STOP_STEP_MS (the bound itself: src/protocols/opcua/at-most.spec.ts).
  // Without it, closing the subscription and the session each waited for node-opcua's request
  // timeout: about 25 s here, past a replica's SHUTDOWN_TIMEOUT_MS (10 s).
  it('still stops while the server is stalled', { timeout: 60_000 }, async () => {
    server.kill('SIGSTOP');
    const devices = connector.app.app.get(DeviceManager);
    await devices.stopAll();
    expect(devices.get(tenant, deviceId)).toBeUndefined();
  });
});
