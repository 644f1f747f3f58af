import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readPlatformEnv } from '@openfoundry/infra-local';
import { describe, expect, it, vi } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { declaredDeviceSpec } from '../src/devices.ts';
import type { SimSummary } from '../src/simulator.ts';
import { truthSummary } from '../src/truth.ts';
import { tempFile, uniqueTenant } from './helpers.ts';

const env = readPlatformEnv();
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

function start(args: string[]): { child: ChildProcess; stdout: () => string; stderr: () => string } {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  return { child, stdout: () => stdout, stderr: () => stderr };
}

async function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const [code] = await once(child, 'exit');
  return code as number | null;
}

describe('factory-sim CLI', () => {
  it('stops on SIGTERM after draining, prints the summary and leaves a complete truth log', async () => {
    const truthFile = tempFile('truth.ndjson');
    const run = start([
      ...['--tenant', uniqueTenant('cli'), '--assets', '3', '--attributes', '2', '--rate', '150'],
      ...['--mqtt', env.OPENFOUNDRY_MQTT_URL, '--truth', truthFile, '--report-every', '200ms'],
    ]);
    try {
      await vi.waitFor(() => expect(run.stderr()).toMatch(/mqtt sent=[1-9]/), { timeout: 15_000 });
      run.child.kill('SIGTERM');
      expect(await exitCode(run.child)).toBe(0);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
    expect(run.stderr()).toContain('SIGTERM, stopping');
    const summary = JSON.parse(run.stdout()) as SimSummary;
    const mqtt = summary.protocols.mqtt;
    expect(mqtt?.acked).toBeGreaterThan(0);
    expect(mqtt).toMatchObject({ sent: mqtt?.acked, unacked: 0, inFlight: 0 });
    expect(await truthSummary(truthFile)).toEqual(summary.assets.map(({ protocol: _, ...a }) => a));
    expect(summary.assets.reduce((n, a) => n + a.count, 0)).toBe(mqtt?.acked);
  });

  it('writes only the device specs with --devices-only', async () => {
    const devicesFile = tempFile('devices.yaml');
    const run = start([
      ...[
        '--tenant',
        'acme',
        '--assets',
        '4',
        '--attributes',
        '2',
        '--devices',
        devicesFile,
        '--devices-only',
      ],
      ...['--mqtt', 'mqtt://127.0.0.1:1', '--http', 'http://127.0.0.1:1', '--opcua-port', '4840'],
    ]);
    expect(await exitCode(run.child)).toBe(0);
    expect(run.stdout()).toBe('');
    const specs = parseAllDocuments(readFileSync(devicesFile, 'utf8')).map((d) =>
      declaredDeviceSpec.parse(d.toJS()),
    );
    expect(specs.map((s) => [s.id, s.protocol])).toEqual([
      ['sim-mqtt-001', 'mqtt'],
      ['sim-opcua', 'opcua'],
      ['sim-http', 'http'],
    ]);
  });

  it('exits 2 with the usage for bad arguments', async () => {
    const run = start(['--tenant', 'Not_A_Tenant!', '--mqtt', env.OPENFOUNDRY_MQTT_URL]);
    expect(await exitCode(run.child)).toBe(2);
    expect(run.stderr()).toMatch(/tenant "Not_A_Tenant!" does not match/);
    const bad = start(['--assets', '3']);
    expect(await exitCode(bad.child)).toBe(2);
    expect(bad.stderr()).toContain('--tenant is required');
    expect(bad.stderr()).toContain('Usage: factory-sim');
  });
});
