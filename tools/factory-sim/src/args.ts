import { parseArgs } from 'node:util';
import type { DeviceOptions } from './devices.ts';
import { parseDuration } from './rate.ts';
import type { SimulatorOptions } from './simulator.ts';

export const USAGE = `Usage: factory-sim --tenant <id> [options]

Simulates a factory: --assets assets with --attributes attributes each, dealt in turn to the
protocols given (MQTT, OPC UA, HTTP push), at --rate events a second in total.

  --tenant <id>             tenant the assets belong to (required)
  --assets <n>              number of assets (default 10)
  --attributes <n>          attributes per asset (default 5)
  --asset-prefix <p>        asset ids are <p><4 digits> (default asset-)
  --rate <n>                events per second over all assets (default 100)
  --rate-per-asset <n>      events per second per asset (instead of --rate)
  --duration <d>            stop after e.g. 500ms, 60s, 5m (default: until SIGINT/SIGTERM)
  --seed <n>                value seed (default 1)
  --mqtt <url>              publish to this broker (mqtt://host:port)
  --mqtt-username <u>       MQTT user name (password from --mqtt-password or FACTORY_SIM_MQTT_PASSWORD)
  --mqtt-password <p>
  --max-in-flight <n>       MQTT publishes awaiting PUBACK at most (default 100)
  --http <url>              push to this connector base URL (http://host:port)
  --http-device <id>        HTTP push device id (default <device-prefix>-http)
  --http-token <t>          bearer token (or FACTORY_SIM_HTTP_TOKEN)
  --http-batch <n>          events per request at most (default 100)
  --opcua-port <port>       serve OPC UA on this port
  --opcua-host <host>       OPC UA host name and listen address (default 127.0.0.1)
  --truth <file>            write the ground-truth log (NDJSON) here
  --devices <file>          write the device specs (multi-document YAML) here
  --devices-only            write --devices and exit without simulating
  --device-prefix <p>       device ids start with this (default sim)
  --assets-per-device <n>   MQTT assets per declared MQTT device (default 50)
  --report-every <d>        progress on stderr this often (default 5s)
  --drain-timeout <d>       how long a stop waits for outstanding acks (default 10s)
  --help`;

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface CliOptions {
  help: boolean;
  sim: SimulatorOptions;
  devices: DeviceOptions;
  durationMs?: number;
  devicesFile?: string;
  devicesOnly: boolean;
  reportEveryMs: number;
}

function integer(name: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer ≥ ${min}, not "${text}"`);
  return n;
}

function positive(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`--${name} must be a positive number, not "${text}"`);
  return n;
}

function duration(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  try {
    return parseDuration(text);
  } catch (error) {
    throw new UsageError(`--${name}: ${(error as Error).message}`);
  }
}

function url(name: string, text: string | undefined, protocols: string[]): string | undefined {
  if (text === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new UsageError(`--${name} is not a URL: "${text}"`);
  }
  if (!protocols.includes(parsed.protocol))
    throw new UsageError(`--${name} must be a ${protocols.join(' or ')} URL, not "${text}"`);
  return text;
}

export function parseCliArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        tenant: { type: 'string' },
        assets: { type: 'string' },
        attributes: { type: 'string' },
        'asset-prefix': { type: 'string' },
        rate: { type: 'string' },
        'rate-per-asset': { type: 'string' },
        duration: { type: 'string' },
        seed: { type: 'string' },
        mqtt: { type: 'string' },
        'mqtt-username': { type: 'string' },
        'mqtt-password': { type: 'string' },
        'max-in-flight': { type: 'string' },
        http: { type: 'string' },
        'http-device': { type: 'string' },
        'http-token': { type: 'string' },
        'http-batch': { type: 'string' },
        'opcua-port': { type: 'string' },
        'opcua-host': { type: 'string' },
        truth: { type: 'string' },
        devices: { type: 'string' },
        'devices-only': { type: 'boolean' },
        'device-prefix': { type: 'string' },
        'assets-per-device': { type: 'string' },
        'report-every': { type: 'string' },
        'drain-timeout': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const s = (name: string) => values[name] as string | undefined;
  const reportEveryMs = duration('report-every', s('report-every')) ?? 5000;
  if (values.help) {
    return {
      help: true,
      sim: { tenant: '', assets: 0, attributes: 0 },
      devices: {},
      devicesOnly: false,
      reportEveryMs,
    };
  }
  const tenant = s('tenant');
  if (!tenant) throw new UsageError('--tenant is required');
  const mqttUrl = url('mqtt', s('mqtt'), ['mqtt:', 'mqtts:', 'tcp:', 'ws:', 'wss:']);
  const httpUrl = url('http', s('http'), ['http:', 'https:']);
  const opcuaPort = s('opcua-port') === undefined ? undefined : integer('opcua-port', s('opcua-port'), 0, 1);
  if (opcuaPort !== undefined && opcuaPort > 65_535)
    throw new UsageError('--opcua-port must be at most 65535');
  const devicesOnly = values['devices-only'] === true;
  if (devicesOnly && !s('devices')) throw new UsageError('--devices-only needs --devices <file>');
  if (!mqttUrl && !httpUrl && opcuaPort === undefined)
    throw new UsageError('give at least one of --mqtt, --http, --opcua-port');
  const devicePrefix = s('device-prefix') ?? 'sim';
  const mqttUsername = s('mqtt-username');
  const mqttPassword = s('mqtt-password') ?? env.FACTORY_SIM_MQTT_PASSWORD;
  const opcuaHost = s('opcua-host') ?? '127.0.0.1';
  const httpToken = s('http-token') ?? env.FACTORY_SIM_HTTP_TOKEN;
  const rate = positive('rate', s('rate'));
  const ratePerAsset = positive('rate-per-asset', s('rate-per-asset'));
  if (rate !== undefined && ratePerAsset !== undefined)
    throw new UsageError('give --rate or --rate-per-asset, not both');
  const mqttCredentials =
    mqttUsername === undefined ? {} : { username: mqttUsername, password: mqttPassword ?? '' };
  const durationMs = duration('duration', s('duration'));
  const drainTimeoutMs = duration('drain-timeout', s('drain-timeout'));
  return {
    help: false,
    devicesOnly,
    reportEveryMs,
    ...(durationMs === undefined ? {} : { durationMs }),
    ...(s('devices') === undefined ? {} : { devicesFile: s('devices') }),
    sim: {
      tenant,
      assets: integer('assets', s('assets'), 10),
      attributes: integer('attributes', s('attributes'), 5),
      ...(s('asset-prefix') === undefined ? {} : { assetPrefix: s('asset-prefix') }),
      seed: integer('seed', s('seed'), 1, 0),
      ...(rate === undefined ? {} : { rate }),
      ...(ratePerAsset === undefined ? {} : { ratePerAsset }),
      ...(mqttUrl
        ? {
            mqtt: {
              url: mqttUrl,
              maxInFlight: integer('max-in-flight', s('max-in-flight'), 100),
              ...mqttCredentials,
            },
          }
        : {}),
      ...(httpUrl
        ? {
            http: {
              url: httpUrl,
              device: s('http-device') ?? `${devicePrefix}-http`,
              batchSize: integer('http-batch', s('http-batch'), 100),
              ...(httpToken ? { token: httpToken } : {}),
            },
          }
        : {}),
      ...(opcuaPort === undefined ? {} : { opcua: { port: opcuaPort, host: opcuaHost } }),
      ...(s('truth') === undefined ? {} : { truthFile: s('truth') }),
      ...(drainTimeoutMs === undefined ? {} : { drainTimeoutMs }),
    },
    devices: {
      devicePrefix,
      assetsPerMqttDevice: integer('assets-per-device', s('assets-per-device'), 50),
      ...(mqttUrl ? { mqtt: { url: mqttUrl, ...mqttCredentials } } : {}),
      ...(opcuaPort === undefined ? {} : { opcua: { port: opcuaPort, host: opcuaHost } }),
    },
  };
}
