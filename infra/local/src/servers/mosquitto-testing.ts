import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config.ts';
import { freePort, tcpExchange } from '../process.ts';
import { isConnackAccepted, MOSQUITTO_BINARY, mosquittoConfig, mqttConnectPacket } from './mosquitto.ts';

/** A private Mosquitto for a test: the platform's generated configuration, its own port and data. */
export interface TestMosquitto {
  url: string;
  port: number;
  /** Stops the broker (SIGTERM) and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts `mosquitto` with exactly the configuration `infra up` writes, on a free loopback port. For
 * tests of broker behaviour that the shared broker cannot show (it runs the configuration of its last
 * start, and restarting it would disturb everyone using it).
 */
export async function startTestMosquitto(): Promise<TestMosquitto> {
  const port = await freePort();
  const config = loadConfig();
  const dir = mkdtempSync(join(tmpdir(), 'openfoundry-mosquitto-'));
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  const confFile = join(dir, 'mosquitto.conf');
  writeFileSync(confFile, mosquittoConfig({ ...config, ports: { ...config.ports, mqtt: port } }, dataDir));
  const child: ChildProcess = spawn(MOSQUITTO_BINARY, ['-c', confFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output = `${output}${chunk.toString()}`.slice(-4096);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output = `${output}${chunk.toString()}`.slice(-4096);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited at start: ${output}`);
    const ok = await tcpExchange(port, mqttConnectPacket(`openfoundry-probe-${process.pid}`), 500).then(
      isConnackAccepted,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`mosquitto did not accept connections on ${port}: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
