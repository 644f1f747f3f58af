import {
  AttributeIds,
  ClientMonitoredItem,
  type ClientSession,
  ClientSubscription,
  constructEventFilter,
  DataType,
  OPCUAClient,
  StatusCodes,
  TimestampsToReturn,
  type Variant,
} from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { opcuaNodeId, RESET_METHOD, SETPOINT, SETPOINT_DEFAULT } from '../src/protocols/opcua.ts';
import { Simulator } from '../src/simulator.ts';
import { type TruthEntry, truthLastValues } from '../src/truth.ts';
import { freePort, tempFile, uniqueTenant } from './helpers.ts';

describe('OPC UA server', () => {
  let sim: Simulator;
  let client: OPCUAClient;
  let session: ClientSession;
  const truthFile = tempFile('truth.ndjson');
  const last = new Map<string, TruthEntry>();
  const written: TruthEntry[] = [];

  beforeAll(async () => {
    const port = await freePort();
    sim = new Simulator({
      tenant: uniqueTenant('opcua'),
      assets: 2,
      attributes: 4,
      rate: 200,
      opcua: { port, eventEvery: 5 },
      truthFile,
      onTruth: (entry) => {
        if (entry.status === 'acked') last.set(`${entry.asset}.${entry.attribute}`, entry);
        if (entry.status === 'written') written.push(entry);
      },
    });
    await sim.start();
    client = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 3 } });
    await client.connect(`opc.tcp://127.0.0.1:${port}/factory`);
    session = await client.createSession();
  });

  let clientOpen = true;
  async function closeClient() {
    if (!clientOpen) return;
    clientOpen = false;
    await session?.close();
    await client?.disconnect();
  }

  afterAll(async () => {
    await closeClient();
    await sim?.stop();
  });

  const read = (nodeId: string) => session.read({ nodeId, attributeId: AttributeIds.Value });

  it('exposes every attribute as a typed variable under Objects/<asset>', async () => {
    await vi.waitFor(async () =>
      expect((await read(opcuaNodeId('asset-0001', 'running'))).statusCode).toBe(StatusCodes.Good),
    );
    const types = await Promise.all(
      ['temperature', 'cycle_count', 'running', 'condition'].map(
        async (a) => ((await read(opcuaNodeId('asset-0001', a))).value as Variant).dataType,
      ),
    );
    expect(types).toEqual([DataType.Double, DataType.Int32, DataType.Boolean, DataType.String]);
    const browsed = await session.browse('ns=0;i=85');
    const names = browsed.references?.map((r) => r.browseName.toString()) ?? [];
    expect(names).toEqual(expect.arrayContaining(['1:asset-0001', '1:asset-0002']));
  });

  it('takes a setpoint write, refuses a wrong type, and resets it with the Reset method', async () => {
    const setpoint = opcuaNodeId('asset-0002', SETPOINT);
    const ok = await session.write({
      nodeId: setpoint,
      attributeId: AttributeIds.Value,
      value: { value: { dataType: DataType.Double, value: 72.5 } },
    });
    expect(ok).toBe(StatusCodes.Good);
    expect((await read(setpoint)).value.value).toBe(72.5);
    expect(written.map((w) => [w.asset, w.attribute, w.seq, w.value])).toEqual([
      ['asset-0002', SETPOINT, 0, 72.5],
    ]);

    const wrong = await session.write({
      nodeId: setpoint,
      attributeId: AttributeIds.Value,
      value: { value: { dataType: DataType.String, value: 'high' } },
    });
    expect(wrong.isGood()).toBe(false);
    expect((await read(setpoint)).value.value).toBe(72.5);

    const result = await session.call({
      objectId: opcuaNodeId('asset-0002'),
      methodId: opcuaNodeId('asset-0002', RESET_METHOD),
      inputArguments: [],
    });
    expect(result.statusCode).toBe(StatusCodes.Good);
    expect((await read(setpoint)).value.value).toBe(SETPOINT_DEFAULT);
  });

  it('raises events on the asset object', async () => {
    const subscription = ClientSubscription.create(session, {
      requestedPublishingInterval: 50,
      publishingEnabled: true,
      requestedMaxKeepAliveCount: 10,
      requestedLifetimeCount: 100,
    });
    const messages: string[] = [];
    try {
      const item = ClientMonitoredItem.create(
        subscription,
        { nodeId: opcuaNodeId('asset-0001'), attributeId: AttributeIds.EventNotifier },
        { samplingInterval: 0, queueSize: 100, filter: constructEventFilter(['Message']) },
        TimestampsToReturn.Both,
      );
      item.on('changed', (fields: unknown) => {
        messages.push(String((fields as Variant[])[0]?.value?.text));
      });
      await vi.waitFor(
        () => expect(messages.some((m) => /^asset-0001 completed \d+ cycles$/.test(m))).toBe(true),
        {
          timeout: 10_000,
        },
      );
    } finally {
      await subscription.terminate();
    }
  });

  it('holds the last value it logged for every variable once it stops producing', async () => {
    await sim.stopProducing();
    expect(last.size).toBe(8);
    for (const [key, entry] of last) {
      const [asset, attribute] = key.split('.') as [string, string];
      const dataValue = await read(opcuaNodeId(asset, attribute));
      expect(dataValue.statusCode, key).toBe(StatusCodes.Good);
      expect(dataValue.value.value, key).toEqual(entry.value);
      expect(dataValue.sourceTimestamp?.toISOString(), key).toBe(entry.ts);
    }
    // The truth log says the same once flushed.
    await closeClient();
    await sim.stop();
    const fromFile = await truthLastValues(truthFile, { protocol: 'opcua' });
    expect(fromFile.size).toBe(8);
    for (const entry of last.values()) {
      expect(fromFile.get(`${entry.tenant}/${entry.asset}/${entry.attribute}`)).toEqual(entry);
    }
  });
});
