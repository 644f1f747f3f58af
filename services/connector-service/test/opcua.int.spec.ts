import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@openfoundry/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceManager } from '../src/devices/device-manager.ts';
import {
  assetEvents,
  type Connector,
  deviceSpec,
  eventually,
  FakeCoordinator,
  startConnector,
  unique,
} from './harness.ts';
import { startOpcuaServer, type TestOpcuaServer } from './opcua-server.ts';

describe('OPC UA devices', () => {
  let connector: Connector;
  let coordinator: FakeCoordinator;
  let server: TestOpcuaServer;
  let port: number;
  const tenant = unique('t');
  const deviceId = unique('plc');
  const pki = mkdtempSync(join(tmpdir(), 'of-opcua-pki-'));

  const values = (attribute: string, count: number) =>
    assetEvents((e) => e.tenant === tenant && e.attribute === attribute, count);
  const online = () =>
    eventually(() => {
      const status = connector.app.app.get(DeviceManager).get(tenant, deviceId)?.status;
      if (status !== 'online') throw new Error(`device is ${status}`);
    }, 60_000);

  beforeAll(async () => {
    port = await freePort();
    server = await startOpcuaServer(port);
    connector = await startConnector({ CONNECTOR_OPCUA_PKI_DIR: pki });
    coordinator = await FakeCoordinator.connect();
    const reply = await coordinator.assign(connector.replica, [
      deviceSpec({
        tenant,
        id: deviceId,
        protocol: 'opcua',
        endpoint: server.endpoint,
        points: [
          {
            asset: 'press-1',
            attribute: 'temperature',
            nodeId: 'ns=1;s=Press1.Temperature',
            samplingIntervalMs: 50,
            kind: 'sample',
            writable: true,
          },
          {
            asset: 'press-1',
            attribute: 'pressure',
            browsePath: '/1:Press1/1:Pressure',
            samplingIntervalMs: 50,
            deadband: { type: 'absolute', value: 5 },
            kind: 'sample',
            writable: false,
          },
          {
            asset: 'press-1',
            attribute: 'level',
            nodeId: 'ns=1;s=Press1.Level',
            samplingIntervalMs: 50,
            deadband: { type: 'percent', value: 10 },
            kind: 'sample',
            writable: false,
          },
          {
            asset: 'press-1',
            attribute: 'setpoint',
            nodeId: 'ns=1;s=Press1.Setpoint',
            kind: 'sample',
            writable: true,
          },
          { asset: 'press-1', attribute: 'alarm', kind: 'event', writable: false },
        ],
      }),
    ]);
    expect(reply.rejected).toEqual([]);
    await online();
  });
  afterAll(async () => {
    await coordinator?.close();
    await connector?.close();
    await server?.stop();
    rmSync(pki, { recursive: true, force: true });
  });

  it('makes its client certificate in its own store, for its own application URI', () => {
    // node-opcua's shared default store may hold a certificate of another application (warning W06).
    const certificate = new X509Certificate(
      readFileSync(join(pki, 'own', 'certs', 'client_certificate.pem')),
    );
    expect(certificate.subjectAltName).toContain(`URI:urn:${hostname()}:openfoundry-connector-service`);
  });

  it('publishes data changes of monitored variables, found by node id and by browse path', async () => {
    server.set('Temperature', 21.5);
    const temperatures = await values('temperature', 2);
    expect(temperatures.map((e) => e.value)).toEqual([
      { type: 'double', value: 20 },
      { type: 'double', value: 21.5 },
    ]);
    expect(temperatures[1]).toMatchObject({
      assetId: 'press-1',
      kind: 'sample',
      quality: 'good',
      source: { protocol: 'opcua', device: deviceId, replica: connector.replica },
    });
  });

  it('reports a change only beyond the absolute deadband', async () => {
    server.set('Pressure', 12);
    server.set('Pressure', 16);
    await values('pressure', 2);
    server.set('Pressure', 17);
    server.set('Pressure', 30);
    const pressures = await values('pressure', 3);
    expect(pressures.map((e) => e.value.value)).toEqual([10, 16, 30]);
  });

  it('reports a change only beyond a percent deadband of the engineering range', async () => {
    // 10 % of 0..200 is 20.
    server.set('Level', 60);
    server.set('Level', 75);
    await values('level', 2);
    server.set('Level', 90);
    server.set('Level', 100);
    const levels = await values('level', 3);
    expect(levels.map((e) => e.value.value)).toEqual([50, 75, 100]);
  });

  it('publishes server events as json values', async () => {
    server.raiseAlarm('die temperature high', 700);
    const [alarm] = await values('alarm', 1);
    expect(alarm?.kind).toBe('event');
    expect(alarm?.value.type).toBe('json');
    expect(alarm?.value.value).toMatchObject({
      Message: 'die temperature high',
      Severity: 700,
      SourceName: 'Press1',
    });
  });

  it('writes a writable point, and fails with refused where the server refuses', async () => {
    const written = await coordinator.command(connector.replica, {
      tenant,
      assetId: 'press-1',
      action: 'write',
      target: 'setpoint',
      arguments: 125.5,
    });
    expect(written).toMatchObject({ status: 'acknowledged', device: deviceId });
    expect(server.get('Setpoint')).toBe(125.5);

    const refusedByServer = await coordinator.command(connector.replica, {
      tenant,
      assetId: 'press-1',
      action: 'write',
      target: 'temperature',
      arguments: 99,
    });
    expect(refusedByServer).toMatchObject({ status: 'failed', failure: { code: 'refused' } });
    expect(refusedByServer.failure?.message).toMatch(/BadNotWritable|BadUserAccessDenied/);

    const refusedBySpec = await coordinator.command(connector.replica, {
      tenant,
      assetId: 'press-1',
      action: 'write',
      target: 'pressure',
      arguments: 1,
    });
    expect(refusedBySpec).toMatchObject({ status: 'failed', failure: { code: 'refused' } });
  });

  it('calls a method by browse path and by node id, with its output as the result', async () => {
    const byPath = await coordinator.command(connector.replica, {
      tenant,
      assetId: 'press-1',
      action: 'call',
      target: '/1:Press1/1:Reset',
      arguments: [3],
    });
    expect(byPath).toMatchObject({
      status: 'acknowledged',
      result: { outputArguments: [server.get('Temperature')] },
    });
    const byId = await coordinator.command(connector.replica, {
      tenant,
      assetId: 'press-1',
      action: 'call',
      target: 'ns=1;s=Press1.Reset',
      arguments: [4],
    });
    expect(byId.status).toBe('acknowledged');
    expect(server.resets).toEqual([3, 4]);
    const wrongArity = await coordinator.command(connector.replica, {
      tenant,
      assetId: 'press-1',
      action: 'call',
      target: 'ns=1;s=Press1.Reset',
      arguments: [],
    });
    expect(wrongArity).toMatchObject({ status: 'failed', failure: { code: 'invalid' } });
  });

  it('keeps data flowing after the server restarts', async () => {
    const before = (await values('temperature', 2)).length;
    await server.stop();
    server = await startOpcuaServer(port);
    await online();
    server.set('Temperature', 42.25);
    const after = await assetEvents(
      (e) => e.tenant === tenant && e.attribute === 'temperature',
      (events) => events.some((e) => e.value.value === 42.25),
    );
    // The recreated monitored item reports the new server's value (20, unless the change came
    // first), then the change.
    const since = after.slice(before).map((e) => e.value.value);
    expect(since.at(-1)).toBe(42.25);
    expect(since.every((v) => v === 20 || v === 42.25)).toBe(true);
  }, 240_000);
});
