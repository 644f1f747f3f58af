// The demo tenant's live factory for `npm start`: the simulator's devices declared through the
// `openfoundry` CLI, then the simulator itself speaking MQTT, OPC UA and HTTP push to the connectors.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, readPlatformEnv } from '@openfoundry/infra-local';
import type { RunningUnit } from './platform.ts';
import { node, repoRoot, step } from './proc.ts';

export const DEMO_TENANT = 'acme';
const DEMO_TOKEN = 'dev-acme-token';
const simCli = join(repoRoot, 'tools', 'factory-sim', 'src', 'cli.ts');
const deviceCli = join(repoRoot, 'tools', 'cli', 'src', 'cli.ts');

export interface DemoFactory {
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Declares the demo devices and starts the simulator (12 assets × 5 attributes, 100 events a
 * second). Its ground truth goes to `.openfoundry/demo/truth.ndjson`.
 */
export async function startDemoFactory(units: readonly RunningUnit[]): Promise<DemoFactory> {
  const url = (name: string) => {
    const unit = units.find((u) => u.name === name);
    if (!unit) throw new Error(`the demo factory needs ${name}, which is not running`);
    return unit.url;
  };
  const env = readPlatformEnv();
  const dir = join(repoRoot, '.openfoundry', 'demo');
  mkdirSync(dir, { recursive: true });
  const devices = join(dir, 'devices.yaml');
  const opcuaPort = await freePort();
  const common = [
    '--tenant',
    DEMO_TENANT,
    '--assets',
    '12',
    '--attributes',
    '5',
    '--asset-prefix',
    'press-',
    '--device-prefix',
    'demo',
    '--mqtt',
    env.OPENFOUNDRY_MQTT_URL,
    '--opcua-port',
    String(opcuaPort),
    '--http',
    url('connector-service'),
    '--http-token',
    DEMO_TOKEN,
    '--devices',
    devices,
  ];
  await step('demo factory: device specs', node, [simCli, ...common, '--devices-only']);
  await step('demo factory: openfoundry device up', node, [deviceCli, 'device', 'up', '-f', devices], {
    env: {
      ...process.env,
      OPENFOUNDRY_CONNECTORS_URL: url('connector-management-service'),
      OPENFOUNDRY_TOKEN: DEMO_TOKEN,
    },
  });
  const child = spawn(
    node,
    [simCli, ...common, '--rate', '100', '--truth', join(dir, 'truth.ndjson'), '--report-every', '60s'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return {
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
