import { Logger } from '@nestjs/common';
import type { DeviceSpec } from '@openfoundry/bus-registry';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorConfig } from '../config.ts';
import type { AssetSink } from '../ingest/asset-sink.ts';
import { DeviceManager } from './device-manager.ts';

const config = {
  CONNECTOR_REPLICA_ID: 'r1',
  CONNECTOR_PROTOCOLS: ['http', 'opcua'],
  CONNECTOR_MAX_FUTURE_SKEW_MS: 60_000,
  CONNECTOR_MAX_AGE_MS: 3_600_000,
} as ConnectorConfig;

const http = (id: string, revision = 1): DeviceSpec => ({
  tenant: 'acme',
  id,
  protocol: 'http',
  points: [],
  revision,
});
const manager = () => new DeviceManager({} as AssetSink, config);

beforeAll(() => Logger.overrideLogger(false));

describe(DeviceManager.name, () => {
  it('makes the running set equal to each assignment and restarts a device whose revision changed', async () => {
    const devices = manager();
    expect(await devices.apply({ replica: 'r1', version: 1, devices: [http('a'), http('b')] })).toMatchObject(
      {
        version: 1,
        running: ['acme/a', 'acme/b'],
      },
    );
    const a = devices.get('acme', 'a');
    const b = devices.get('acme', 'b');
    await devices.apply({ replica: 'r1', version: 2, devices: [http('a'), http('b', 2), http('c')] });
    expect(devices.get('acme', 'a')).toBe(a);
    expect(devices.get('acme', 'b')).not.toBe(b);
    expect(b?.status).toBe('offline');
    expect(devices.all().map((d) => d.key)).toEqual(['acme/a', 'acme/b', 'acme/c']);
    await devices.apply({ replica: 'r1', version: 3, devices: [] });
    expect(devices.all()).toEqual([]);
  });

  it('ignores an older version and answers with what runs', async () => {
    const devices = manager();
    await devices.apply({ replica: 'r1', version: 5, devices: [http('a')] });
    expect(await devices.apply({ replica: 'r1', version: 4, devices: [] })).toEqual({
      replica: 'r1',
      version: 5,
      running: ['acme/a'],
      rejected: [],
    });
  });

  it('rejects devices it cannot run and refuses another replica’s assignment', async () => {
    const devices = manager();
    const reply = await devices.apply({
      replica: 'r1',
      version: 1,
      devices: [
        { tenant: 'acme', id: 'm', protocol: 'mqtt', endpoint: 'mqtt://x', points: [], revision: 1 },
        { tenant: 'acme', id: 'o', protocol: 'opcua', endpoint: 'http://x', points: [], revision: 1 },
      ],
    });
    expect(reply.rejected.map((r) => [r.device, r.reason])).toEqual([
      ['m', 'this replica does not run mqtt devices'],
      ['o', 'an OPC UA device needs an opc.tcp:// endpoint'],
    ]);
    await expect(devices.apply({ replica: 'r2', version: 2, devices: [] })).rejects.toThrow(/not r2/);
  });
});
