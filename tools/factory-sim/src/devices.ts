import { deviceSpec } from '@openfoundry/bus-registry';
import { stringify } from 'yaml';
import type { z } from 'zod';
import { type AssetSpec, type AttributeSpec, assetsOf, type FactoryLayout } from './layout.ts';
import { mqttTopic } from './protocols/mqtt.ts';
import { opcuaEndpoint, opcuaNodeId, SETPOINT } from './protocols/opcua.ts';

/** A device spec as declared from YAML: the management service assigns `revision`. */
export const declaredDeviceSpec = deviceSpec.omit({ revision: true });
export type DeclaredDeviceSpec = z.input<typeof declaredDeviceSpec>;

export interface DeviceOptions {
  /** Device ids are `<prefix>-mqtt-<n>`, `<prefix>-opcua`, `<prefix>-http`. */
  devicePrefix?: string;
  /** One MQTT device per this many MQTT assets. */
  assetsPerMqttDevice?: number;
  mqtt?: { url: string; username?: string; password?: string };
  opcua?: { host?: string; port: number };
  /** Sampling interval declared for the OPC UA points. */
  opcuaSamplingMs?: number;
}

export function httpDeviceId(prefix = 'sim'): string {
  return `${prefix}-http`;
}

/** The protocol-independent part of a point: which attribute, its value type and unit. */
function samplePoint(asset: AssetSpec, attribute: AttributeSpec) {
  return {
    asset: asset.id,
    attribute: attribute.name,
    kind: 'sample' as const,
    valueType: attribute.kind,
    ...(attribute.unit === undefined ? {} : { unit: attribute.unit }),
  };
}

/**
 * The devices a simulator run with this layout speaks as. MQTT points name one topic per
 * (asset, attribute) with its value type, so several devices never claim the same topic and
 * counters arrive as `long`.
 */
export function deviceSpecs(layout: FactoryLayout, options: DeviceOptions): DeclaredDeviceSpec[] {
  const prefix = options.devicePrefix ?? 'sim';
  const { tenant, attributes } = layout;
  const specs: DeclaredDeviceSpec[] = [];

  const mqttAssets = assetsOf(layout, 'mqtt');
  if (options.mqtt && mqttAssets.length > 0) {
    const perDevice = options.assetsPerMqttDevice ?? 50;
    if (!(perDevice >= 1)) throw new RangeError('assetsPerMqttDevice must be at least 1');
    const { url, username, password } = options.mqtt;
    for (let first = 0, n = 1; first < mqttAssets.length; first += perDevice, n++) {
      specs.push({
        tenant,
        id: `${prefix}-mqtt-${String(n).padStart(3, '0')}`,
        protocol: 'mqtt',
        endpoint: url,
        ...(username === undefined ? {} : { credentials: { username, password: password ?? '' } }),
        points: mqttAssets.slice(first, first + perDevice).flatMap((asset) =>
          attributes.map((attribute) => ({
            ...samplePoint(asset, attribute),
            topic: mqttTopic({ tenant, asset: asset.id, attribute: attribute.name }),
            payload: 'json' as const,
          })),
        ),
      });
    }
  }

  const opcuaAssets = assetsOf(layout, 'opcua');
  if (options.opcua && opcuaAssets.length > 0) {
    specs.push({
      tenant,
      id: `${prefix}-opcua`,
      protocol: 'opcua',
      endpoint: opcuaEndpoint(options.opcua.host ?? '127.0.0.1', options.opcua.port),
      sampling: { intervalMs: options.opcuaSamplingMs ?? 100 },
      points: opcuaAssets.flatMap((asset) => [
        ...attributes.map((attribute) => ({
          ...samplePoint(asset, attribute),
          nodeId: opcuaNodeId(asset.id, attribute.name),
        })),
        {
          asset: asset.id,
          attribute: SETPOINT,
          kind: 'sample' as const,
          valueType: 'double' as const,
          nodeId: opcuaNodeId(asset.id, SETPOINT),
          writable: true,
        },
        // The asset object is an event notifier: its events arrive as kind `event`.
        { asset: asset.id, attribute: 'events', kind: 'event' as const, nodeId: opcuaNodeId(asset.id) },
      ]),
    });
  }

  const httpAssets = assetsOf(layout, 'http');
  if (httpAssets.length > 0) {
    specs.push({
      tenant,
      id: httpDeviceId(prefix),
      protocol: 'http',
      // Points only to declare value types: without them the connector reads counters as doubles.
      points: httpAssets.flatMap((asset) => attributes.map((attribute) => samplePoint(asset, attribute))),
      allowedAssets: httpAssets.map((a) => a.id),
    });
  }
  return specs;
}

/** Multi-document YAML, one device per document, for `openfoundry device up -f`. */
export function devicesYaml(specs: DeclaredDeviceSpec[]): string {
  return specs.map((spec) => `---\n${stringify(spec, { lineWidth: 0 })}`).join('');
}
