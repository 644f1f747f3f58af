import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { declaredDeviceSpec, deviceSpecs, devicesYaml } from './devices.ts';
import { factoryLayout } from './layout.ts';

const layout = factoryLayout({
  tenant: 'acme',
  assets: 7,
  attributes: 3,
  protocols: ['mqtt', 'opcua', 'http'],
});
const options = {
  assetsPerMqttDevice: 2,
  mqtt: { url: 'mqtt://127.0.0.1:1883' },
  opcua: { port: 4840 },
};

describe(deviceSpecs.name, () => {
  const specs = deviceSpecs(layout, options);

  it('produces specs the device schema accepts', () => {
    for (const spec of specs) expect(declaredDeviceSpec.safeParse(spec).error).toBeUndefined();
  });

  it('declares one MQTT device per N assets with one JSON topic per attribute', () => {
    const mqtt = specs.filter((s) => s.protocol === 'mqtt');
    // assets 1, 4, 7 speak MQTT; two per device.
    expect(mqtt.map((s) => s.id)).toEqual(['sim-mqtt-001', 'sim-mqtt-002']);
    expect(mqtt[0]?.points.map((p) => p.topic)).toEqual([
      'factory/acme/asset-0001/temperature',
      'factory/acme/asset-0001/cycle_count',
      'factory/acme/asset-0001/running',
      'factory/acme/asset-0004/temperature',
      'factory/acme/asset-0004/cycle_count',
      'factory/acme/asset-0004/running',
    ]);
    expect(mqtt[1]?.points.map((p) => p.asset)).toEqual(['asset-0007', 'asset-0007', 'asset-0007']);
    expect(mqtt[0]?.points[1]).toMatchObject({
      attribute: 'cycle_count',
      valueType: 'long',
      payload: 'json',
    });
    expect(mqtt[0]?.endpoint).toBe('mqtt://127.0.0.1:1883');
  });

  it('declares the OPC UA server with a point per variable, the writable setpoint and the event notifier', () => {
    const opcua = specs.find((s) => s.protocol === 'opcua');
    expect(opcua?.endpoint).toBe('opc.tcp://127.0.0.1:4840/factory');
    const points = opcua?.points.filter((p) => p.asset === 'asset-0002') ?? [];
    expect(points.map((p) => [p.nodeId, p.kind ?? 'sample', p.writable ?? false])).toEqual([
      ['ns=1;s=asset-0002.temperature', 'sample', false],
      ['ns=1;s=asset-0002.cycle_count', 'sample', false],
      ['ns=1;s=asset-0002.running', 'sample', false],
      ['ns=1;s=asset-0002.setpoint', 'sample', true],
      ['ns=1;s=asset-0002', 'event', false],
    ]);
  });

  it('declares the HTTP push device for exactly its assets, with their value types', () => {
    const http = specs.find((s) => s.protocol === 'http');
    expect(http).toMatchObject({ id: 'sim-http', allowedAssets: ['asset-0003', 'asset-0006'] });
    expect(http?.points.map((p) => [p.asset, p.attribute, p.valueType])).toEqual([
      ['asset-0003', 'temperature', 'double'],
      ['asset-0003', 'cycle_count', 'long'],
      ['asset-0003', 'running', 'boolean'],
      ['asset-0006', 'temperature', 'double'],
      ['asset-0006', 'cycle_count', 'long'],
      ['asset-0006', 'running', 'boolean'],
    ]);
    expect(http?.endpoint).toBeUndefined();
  });

  it('carries MQTT credentials when given and leaves out protocols not simulated', () => {
    const only = deviceSpecs(
      factoryLayout({ tenant: 'acme', assets: 2, attributes: 1, protocols: ['mqtt'] }),
      {
        devicePrefix: 'line1',
        mqtt: { url: 'mqtt://broker:1883', username: 'u', password: 'p' },
      },
    );
    expect(only.map((s) => s.id)).toEqual(['line1-mqtt-001']);
    expect(only[0]?.credentials).toEqual({ username: 'u', password: 'p' });
  });

  it('rejects a device size below one', () => {
    expect(() => deviceSpecs(layout, { ...options, assetsPerMqttDevice: 0 })).toThrow(/assetsPerMqttDevice/);
  });
});

describe(devicesYaml.name, () => {
  it('writes one YAML document per device that reads back to the same valid spec', () => {
    const specs = deviceSpecs(layout, options);
    const documents = parseAllDocuments(devicesYaml(specs));
    expect(documents).toHaveLength(specs.length);
    documents.forEach((document, i) => {
      expect(document.errors).toEqual([]);
      const parsed = declaredDeviceSpec.parse(document.toJS());
      expect(parsed).toEqual(declaredDeviceSpec.parse(specs[i]));
    });
  });

  it('is refused by the schema when a spec is broken', () => {
    const [spec] = deviceSpecs(layout, options);
    const broken = parseAllDocuments(
      devicesYaml([{ ...(spec as NonNullable<typeof spec>), tenant: 'Not A Tenant' }]),
    );
    expect(declaredDeviceSpec.safeParse(broken[0]?.toJS()).success).toBe(false);
  });
});
