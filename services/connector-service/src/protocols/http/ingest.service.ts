import { Injectable } from '@nestjs/common';
import { EVENT_KINDS } from '@openfoundry/bus-registry';
import { InjectConfig } from '@openfoundry/service-kit';
import type { ConnectorConfig } from '../../config.ts';
import { DeviceManager } from '../../devices/device-manager.ts';
import { AssetSink } from '../../ingest/asset-sink.ts';
import { type Observation, type Rejection, reject } from '../../ingest/normalise.ts';
import {
  DeviceNotFoundError,
  ForbiddenTenantError,
  MalformedBodyError,
  NotAssignedError,
  OverloadedError,
  UnauthorizedError,
} from './ingest.errors.ts';

export interface IngestResponse {
  accepted: number;
  rejected: { index: number; reason: string; detail: string }[];
}

interface RawItem {
  /** The item's bytes, for a dead letter: JSON items are serialised again only if one is needed. */
  raw: Uint8Array | (() => Uint8Array);
  value: unknown;
  /** Set when the item could not even be read (an NDJSON line that is not JSON). */
  rejection?: Rejection;
}

const DEVICE_KINDS = new Set<string>(EVENT_KINDS.filter((k) => k !== 'command' && k !== 'command-result'));
const ITEM_FIELDS = new Set(['asset', 'attribute', 'value', 'ts', 'seq', 'quality', 'unit', 'kind']);
/** A line of nothing but white space (what `String.prototype.trim` removes). */
const BLANK = /^\s*$/;

/** HTTP push: authenticates, splits a body into items and hands them to the device's runtime. */
@Injectable()
export class IngestService {
  private readonly tokens: Map<string, string>;

  constructor(
    private readonly devices: DeviceManager,
    private readonly sink: AssetSink,
    @InjectConfig() config: ConnectorConfig,
  ) {
    this.tokens = config.CONNECTOR_INGEST_TOKENS;
  }

  authorize(authorization: string | undefined, tenant: string): void {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    const allowed = token === undefined ? undefined : this.tokens.get(token);
    if (allowed === undefined) throw new UnauthorizedError();
    if (allowed !== tenant && allowed !== '*') throw new ForbiddenTenantError(tenant);
  }

  async ingest(
    tenant: string,
    deviceId: string,
    contentType: string,
    body: unknown,
  ): Promise<IngestResponse> {
    const device = this.devices.get(tenant, deviceId);
    if (device?.spec.protocol !== 'http') {
      if (this.devices.version === 0) throw new NotAssignedError();
      throw new DeviceNotFoundError(tenant, deviceId);
    }
    const items = contentType.startsWith('application/x-ndjson') ? splitNdjson(body) : splitJson(body);
    if (!this.sink.hasRoom(items.length)) throw new OverloadedError();
    const outcomes = await device.ingest(
      items.map((item, index) => ({
        observation: item.rejection ?? this.observation(item.value, deviceId, device.spec.points),
        raw: item.raw,
        location: `item-${index}`,
      })),
    );
    const rejected: IngestResponse['rejected'] = [];
    outcomes.forEach((outcome, index) => {
      if (!outcome.ok) rejected.push({ index, reason: outcome.reason, detail: outcome.detail });
    });
    return { accepted: outcomes.length - rejected.length, rejected };
  }

  private observation(
    value: unknown,
    deviceId: string,
    points: { asset?: string; attribute?: string; valueType?: Observation['valueType']; unit?: string }[],
  ): Observation | Rejection {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return reject(
        'schema',
        'an item is an object { asset?, attribute, value, ts?, seq?, quality?, unit?, kind? }',
      );
    const item = value as Record<string, unknown>;
    for (const field in item)
      if (!ITEM_FIELDS.has(field)) {
        const unknown = Object.keys(item).filter((k) => !ITEM_FIELDS.has(k));
        return reject('schema', `unknown field(s): ${unknown.join(', ')}`);
      }
    if (typeof item.attribute !== 'string') return reject('schema', 'attribute must be a string');
    if (!('value' in item)) return reject('schema', 'value is required');
    if (item.asset !== undefined && typeof item.asset !== 'string')
      return reject('schema', 'asset must be a string');
    if (item.kind !== undefined && !DEVICE_KINDS.has(String(item.kind)))
      return reject('schema', `kind must be one of ${[...DEVICE_KINDS].join(', ')}`);
    const asset = (item.asset as string | undefined) ?? deviceId;
    const point = points.find((p) => (p.asset ?? deviceId) === asset && p.attribute === item.attribute);
    return {
      asset,
      attribute: item.attribute,
      kind: item.kind as Observation['kind'],
      value: item.value,
      valueType: point?.valueType,
      ts: item.ts,
      seq: item.seq,
      quality: item.quality,
      unit: item.unit ?? point?.unit,
    };
  }
}

function splitJson(body: unknown): RawItem[] {
  const list = Array.isArray(body)
    ? body
    : typeof body === 'object' && body !== null && Array.isArray((body as { events?: unknown }).events)
      ? (body as { events: unknown[] }).events
      : undefined;
  if (!list) throw new MalformedBodyError('the body is a JSON array of items or { "events": [...] }');
  return list.map((value) => ({ raw: () => Buffer.from(JSON.stringify(value) ?? 'null'), value }));
}

function splitNdjson(body: unknown): RawItem[] {
  if (typeof body !== 'string') throw new MalformedBodyError('an application/x-ndjson body is text');
  const items: RawItem[] = [];
  for (const line of body.split('\n')) {
    if (BLANK.test(line)) continue;
    // The line's bytes are needed only for a dead letter.
    const raw = () => Buffer.from(line);
    try {
      items.push({ raw, value: JSON.parse(line) });
    } catch {
      items.push({ raw, value: undefined, rejection: reject('unparsable', 'the line is not JSON') });
    }
  }
  return items;
}
