import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { findPortOwner, parseProcNetTcp, portTakenMessage } from './ports.ts';

const SAMPLE = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   101        0 41234 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1538 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000   101        0 51234 1 0000000000000000 20 4 30 10 -1
   2: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 777 1 0000000000000000 100 0 0 10 0
`;

describe('parseProcNetTcp', () => {
  it('keeps listening sockets only, with decoded ports', () => {
    expect(parseProcNetTcp(SAMPLE)).toEqual([
      { port: 5432, inode: 41234 },
      { port: 8080, inode: 777 },
    ]);
  });
});

describe('portTakenMessage', () => {
  it('names the owner and the variable to change', () => {
    expect(portTakenMessage(5432, { pid: 812, name: 'postgres' }, 'OPENFOUNDRY_PG_PORT')).toBe(
      'port 5432 is taken by pid 812 (postgres) — stop it or set OPENFOUNDRY_PG_PORT',
    );
  });
  it('still gives a diagnosis when the owner is unknown', () => {
    expect(portTakenMessage(1883, undefined, 'OPENFOUNDRY_MQTT_PORT')).toMatch(/taken by another process/);
  });
});

describe('findPortOwner', () => {
  it('finds the process listening on a port', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      expect(findPortOwner(port)?.pid).toBe(process.pid);
    } finally {
      server.close();
    }
  });
});
