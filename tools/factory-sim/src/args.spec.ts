import { describe, expect, it } from 'vitest';
import { parseCliArgs, UsageError } from './args.ts';

const base = ['--tenant', 'acme', '--mqtt', 'mqtt://127.0.0.1:1883'];

describe(parseCliArgs.name, () => {
  it('reads the documented example', () => {
    const options = parseCliArgs(
      [
        ...['--tenant', 'acme', '--assets', '20', '--attributes', '5', '--rate', '1000', '--duration', '60s'],
        ...['--mqtt', 'mqtt://127.0.0.1:1883', '--http', 'http://127.0.0.1:4022', '--opcua-port', '4840'],
        ...['--truth', 'truth.ndjson', '--devices', 'devices.yaml'],
      ],
      {},
    );
    expect(options).toMatchObject({
      durationMs: 60_000,
      devicesFile: 'devices.yaml',
      devicesOnly: false,
      reportEveryMs: 5000,
      sim: {
        tenant: 'acme',
        assets: 20,
        attributes: 5,
        rate: 1000,
        seed: 1,
        mqtt: { url: 'mqtt://127.0.0.1:1883', maxInFlight: 100 },
        http: { url: 'http://127.0.0.1:4022', device: 'sim-http', batchSize: 100 },
        opcua: { port: 4840, host: '127.0.0.1' },
        truthFile: 'truth.ndjson',
      },
      devices: { devicePrefix: 'sim', assetsPerMqttDevice: 50, opcua: { port: 4840 } },
    });
  });

  it('takes secrets from the environment when not on the command line', () => {
    const options = parseCliArgs(
      [...base, '--mqtt-username', 'sim', '--http', 'http://h:1', '--http-device', 'press-line'],
      { FACTORY_SIM_MQTT_PASSWORD: 'pw', FACTORY_SIM_HTTP_TOKEN: 'tok' },
    );
    expect(options.sim.mqtt).toMatchObject({ username: 'sim', password: 'pw' });
    expect(options.sim.http).toMatchObject({ token: 'tok', device: 'press-line' });
    expect(options.devices.mqtt).toEqual({ url: 'mqtt://127.0.0.1:1883', username: 'sim', password: 'pw' });
  });

  it('reads a per-asset rate', () => {
    expect(parseCliArgs([...base, '--rate-per-asset', '2.5'], {}).sim).toMatchObject({ ratePerAsset: 2.5 });
  });

  it.each([
    [[], /--tenant is required/],
    [['--tenant', 'acme'], /at least one of/],
    [[...base, '--assets', '0'], /--assets must be an integer/],
    [[...base, '--assets', 'ten'], /--assets must be an integer/],
    [[...base, '--attributes', '2.5'], /--attributes/],
    [[...base, '--rate=-3'], /--rate must be a positive number/],
    [[...base, '--rate', '0'], /--rate must be a positive number/],
    [[...base, '--rate', '10', '--rate-per-asset', '1'], /not both/],
    [[...base, '--duration', 'forever'], /--duration/],
    [[...base, '--opcua-port', '70000'], /65535/],
    [['--tenant', 'acme', '--mqtt', 'http://broker'], /--mqtt must be a mqtt: or/],
    [['--tenant', 'acme', '--http', 'not a url'], /--http is not a URL/],
    [[...base, '--devices-only'], /--devices-only needs --devices/],
    [[...base, '--frobnicate'], /Unknown option/],
    [[...base, 'stray'], /positional/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCliArgs(argv as string[], {})).toThrow(UsageError);
    expect(() => parseCliArgs(argv as string[], {})).toThrow(message);
  });
});
