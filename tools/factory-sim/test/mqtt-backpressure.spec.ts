import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Simulator } from '../src/simulator.ts';
import { truthSummary } from '../src/truth.ts';
import { tempFile, truthEntries, uniqueTenant } from './helpers.ts';

// A broker that accepts the connection and then never acknowledges a publish: what a connector
// that has stopped taking data looks like to the simulator.
const CONNACK = Buffer.from([0x20, 0x02, 0x00, 0x00]);

describe('MQTT backpressure', () => {
  let sockets: Socket[] = [];
  let server: ReturnType<typeof createServer>;
  let url: string;

  beforeEach(async () => {
    server = createServer((socket) => {
      sockets.push(socket);
      socket.once('data', () => socket.write(CONNACK));
      socket.on('error', () => {});
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address() as { port: number };
    url = `mqtt://127.0.0.1:${address.port}`;
  });

  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    sockets = [];
    await new Promise((resolve) => server.close(resolve));
  });

  it('stops at the in-flight limit when PUBACKs stop and logs the stuck messages as unacked', async () => {
    const truthFile = tempFile('truth.ndjson');
    const sim = new Simulator({
      tenant: uniqueTenant('stall'),
      assets: 3,
      attributes: 2,
      rate: 1000,
      mqtt: { url, maxInFlight: 5 },
      truthFile,
      drainTimeoutMs: 200,
    });
    await sim.start();
    const mqtt = sim.driver('mqtt');
    await vi.waitFor(() => expect(mqtt?.stats().inFlight).toBe(5));
    // Long enough for the bucket to grant hundreds more events; none may go out.
    await delay(300);
    expect(mqtt?.stats()).toMatchObject({ sent: 5, acked: 0, inFlight: 5 });

    const summary = await sim.stop();
    expect(summary.protocols.mqtt).toMatchObject({ sent: 5, acked: 0, unacked: 5, inFlight: 0 });
    const entries = await truthEntries(truthFile);
    expect(entries.map((e) => e.status)).toEqual(['unacked', 'unacked', 'unacked', 'unacked', 'unacked']);
    expect(await truthSummary(truthFile)).toEqual([]);
    expect(summary.assets.every((a) => a.count === 0 && a.checksum === '0')).toBe(true);
  });
});
