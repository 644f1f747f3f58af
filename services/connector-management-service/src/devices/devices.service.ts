import { Injectable, Logger } from '@nestjs/common';
import { type DeviceSpec, deviceSpec } from '@openfoundry/bus-registry';
import {
  DeviceMismatchError,
  DeviceNotFoundError,
  DeviceTooLargeError,
  InvalidCursorError,
  RevisionConflictError,
} from '../errors.ts';
import { AssignmentsRepository, entryKey } from '../replicas/assignments.repository.ts';
import { CoordinatorService, deviceKey } from '../replicas/coordinator.service.ts';
import { ReplicaTracker } from '../replicas/replica-tracker.ts';
import type {
  DeviceBody,
  DeviceInspection,
  DevicePage,
  DevicePageQuery,
  DeviceSummary,
  OVERALL_STATUSES,
} from './device.dto.ts';
import { type DeviceStatusRow, DevicesRepository, type StoredDeviceRow } from './devices.repository.ts';

/**
 * A device spec must fit in a replica's assignment, which travels on the control bus (64 KiB a
 * message, ADR 0005) next to the replica's other devices.
 */
export const MAX_DEVICE_SPEC_BYTES = 48 * 1024;

const STATUS_RANK: Record<string, number> = { online: 0, starting: 1, error: 2, offline: 3 };

/** Order-insensitive JSON for comparing specs: an unchanged spec keeps its revision. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function encodeCursor(tenant: string, id: string): string {
  return Buffer.from(JSON.stringify([tenant, id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): { tenant: string; id: string } {
  try {
    const [tenant, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof tenant === 'string' && typeof id === 'string') return { tenant, id };
  } catch {
    // falls through to the error below
  }
  throw new InvalidCursorError();
}

@Injectable()
export class DevicesService {
  private readonly logger = new Logger(DevicesService.name);

  constructor(
    private readonly repository: DevicesRepository,
    private readonly coordinator: CoordinatorService,
    private readonly tracker: ReplicaTracker,
    private readonly assignments: AssignmentsRepository,
  ) {}

  /** Creates or replaces a device; an identical spec is left alone (same revision). */
  async apply(
    tenant: string,
    id: string,
    body: DeviceBody,
  ): Promise<{ result: 'created' | 'updated' | 'unchanged'; device: DeviceSpec }> {
    if (body.tenant !== undefined && body.tenant !== tenant)
      throw new DeviceMismatchError('tenant', tenant, body.tenant);
    if (body.id !== undefined && body.id !== id) throw new DeviceMismatchError('id', id, body.id);
    const { revision: expected, ...rest } = body;
    const candidate = deviceSpec.parse({ ...rest, tenant, id, revision: 1 });
    const bytes = Buffer.byteLength(JSON.stringify(candidate));
    if (bytes > MAX_DEVICE_SPEC_BYTES) throw new DeviceTooLargeError(bytes, MAX_DEVICE_SPEC_BYTES);

    const outcome = await this.repository.transaction(async (repository) => {
      const existing = await repository.lock(tenant, id);
      if (expected !== undefined && expected !== existing?.spec.revision)
        throw new RevisionConflictError(expected, existing?.spec.revision);
      if (existing && canonicalJson({ ...existing.spec, revision: 1 }) === canonicalJson(candidate))
        return { result: 'unchanged' as const, device: existing.spec };
      const saved = await repository.save(candidate);
      return { result: existing ? ('updated' as const) : ('created' as const), device: saved.spec };
    });
    if (outcome.result !== 'unchanged') {
      this.logger.log({
        msg: `device ${outcome.result}`,
        tenant,
        device: id,
        protocol: outcome.device.protocol,
        revision: outcome.device.revision,
      });
      this.coordinator.poke();
    }
    return outcome;
  }

  async remove(tenant: string, id: string): Promise<void> {
    if (!(await this.repository.delete(tenant, id))) throw new DeviceNotFoundError(tenant, id);
    this.logger.log({ msg: 'device removed', tenant, device: id });
    this.coordinator.poke();
  }

  async get(tenant: string, id: string): Promise<StoredDeviceRow> {
    const device = await this.repository.find(tenant, id);
    if (!device) throw new DeviceNotFoundError(tenant, id);
    return device;
  }

  /** Replicas each device is assigned to now (device key → live replica ids). */
  async #assignedReplicas(): Promise<Map<string, string[]>> {
    const now = Date.now();
    const byDevice = new Map<string, string[]>();
    for (const row of await this.assignments.all()) {
      const tracked = this.tracker.get(row.replica);
      if (!tracked || this.tracker.state(tracked, now) === 'dead') continue;
      for (const entry of row.devices) {
        const key = entryKey(entry);
        byDevice.set(key, [...(byDevice.get(key) ?? []), row.replica]);
      }
    }
    return byDevice;
  }

  async list(tenant: string | undefined, query: DevicePageQuery): Promise<DevicePage> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const rows = await this.repository.list({ tenant, after, limit: query.limit + 1 });
    const items = rows.slice(0, query.limit);
    const assigned = await this.#assignedReplicas();
    const statuses = await this.repository.statusesOf(items.map((d) => d.spec));
    const summaries: DeviceSummary[] = items.map(({ spec, updatedAt }) => {
      const replicas = assigned.get(deviceKey(spec.tenant, spec.id)) ?? [];
      const own = statuses.filter((s) => s.tenant === spec.tenant && s.device === spec.id);
      return {
        tenant: spec.tenant,
        id: spec.id,
        protocol: spec.protocol,
        revision: spec.revision,
        status: overallStatus(replicas, own).status,
        replicas,
        updatedAt: updatedAt.toISOString(),
      };
    });
    const last = items.at(-1);
    return {
      items: summaries,
      nextCursor: rows.length > query.limit && last ? encodeCursor(last.spec.tenant, last.spec.id) : null,
    };
  }

  async inspect(tenant: string, id: string): Promise<DeviceInspection> {
    const device = await this.get(tenant, id);
    const replicas = (await this.#assignedReplicas()).get(deviceKey(tenant, id)) ?? [];
    const rows = await this.repository.statuses(tenant, id);
    const now = Date.now();
    const byReplica = rows.map((row) => {
      const tracked = this.tracker.get(row.replica);
      return {
        replica: row.replica,
        live: tracked !== undefined && this.tracker.state(tracked, now) !== 'dead',
        status: row.status as 'online',
        detail: row.detail,
        counters: { received: 0, published: 0, deadLettered: 0, commands: 0, ...row.counters },
        lastSeen: row.lastSeen.toISOString(),
      };
    });
    const { status, detail } = overallStatus(replicas, rows);
    const current = byReplica.filter((r) => replicas.includes(r.replica));
    const counters = { received: 0, published: 0, deadLettered: 0, commands: 0 };
    for (const r of current)
      for (const name of Object.keys(counters) as (keyof typeof counters)[])
        counters[name] += r.counters[name];
    const lastSeen =
      byReplica
        .map((r) => r.lastSeen)
        .sort()
        .at(-1) ?? null;
    return {
      spec: device.spec,
      revision: device.spec.revision,
      replicas,
      status,
      detail,
      counters,
      lastSeen,
      byReplica,
      createdAt: device.createdAt.toISOString(),
      updatedAt: device.updatedAt.toISOString(),
    };
  }
}

/** The device's status as its assigned replicas report it: the best of them. */
export function overallStatus(
  assigned: readonly string[],
  rows: readonly DeviceStatusRow[],
): { status: (typeof OVERALL_STATUSES)[number]; detail: string | null } {
  if (assigned.length === 0) return { status: 'unassigned', detail: 'no live replica runs this device' };
  const reported = rows
    .filter((r) => assigned.includes(r.replica))
    .sort((a, b) => (STATUS_RANK[a.status] ?? 9) - (STATUS_RANK[b.status] ?? 9));
  const best = reported[0];
  if (!best) return { status: 'pending', detail: 'assigned; no replica has reported it yet' };
  return { status: best.status as 'online', detail: best.detail };
}
