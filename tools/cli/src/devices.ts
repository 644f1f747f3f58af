import type { Command } from './args.ts';
import { ConnectorsClient, ServiceError } from './client.ts';
import { readDevicesFile } from './devices-file.ts';

interface ApplyResult {
  result: 'created' | 'updated' | 'unchanged';
  device: { revision: number };
}
interface DeviceSummary {
  tenant: string;
  id: string;
  protocol: string;
  revision: number;
  status: string;
  replicas: string[];
}
interface Counters {
  received: number;
  published: number;
  deadLettered: number;
  commands: number;
}
interface Inspection {
  spec: { tenant: string; id: string; protocol: string; endpoint?: string; points: unknown[] };
  revision: number;
  replicas: string[];
  status: string;
  detail: string | null;
  counters: Counters;
  lastSeen: string | null;
  byReplica: {
    replica: string;
    live: boolean;
    status: string;
    detail: string | null;
    counters: Counters;
    lastSeen: string;
  }[];
}

export type Print = (line: string) => void;

const path = (tenant: string, device: string) =>
  `/v1/tenants/${encodeURIComponent(tenant)}/devices/${encodeURIComponent(device)}`;

/** Lays rows out in columns under a header. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

const counters = (c: Counters) =>
  `received ${c.received}, published ${c.published}, dead-lettered ${c.deadLettered}, commands ${c.commands}`;

/**
 * Runs one device command; resolves with the exit code. Per-device failures of `up`/`down -f` are
 * printed and make the code 1, the other devices are still applied.
 */
export async function runDeviceCommand(
  command: Exclude<Command, { kind: 'help' }>,
  client: ConnectorsClient,
  print: Print,
  printError: Print,
): Promise<number> {
  switch (command.kind) {
    case 'up': {
      let failed = 0;
      for (const { device, raw } of readDevicesFile(command.file)) {
        const name = `${device.tenant}/${device.id}`;
        try {
          const { body } = await client.request<ApplyResult>('PUT', path(device.tenant, device.id), raw);
          print(`${name}: ${body.result} (revision ${body.device.revision})`);
        } catch (error) {
          if (!(error instanceof ServiceError) || error.status === undefined) throw error;
          failed++;
          printError(`${name}: ${error.message}`);
        }
      }
      return failed > 0 ? 1 : 0;
    }
    case 'down': {
      const targets =
        'file' in command.target
          ? readDevicesFile(command.target.file).map(({ device }) => ({
              tenant: device.tenant,
              device: device.id,
            }))
          : [command.target];
      let failed = 0;
      for (const { tenant, device } of targets) {
        try {
          await client.request('DELETE', path(tenant, device));
          print(`${tenant}/${device}: removed`);
        } catch (error) {
          if (!(error instanceof ServiceError) || error.status === undefined) throw error;
          failed++;
          printError(`${tenant}/${device}: ${error.message}`);
        }
      }
      return failed > 0 ? 1 : 0;
    }
    case 'list': {
      const base =
        command.tenant === undefined
          ? '/v1/devices'
          : `/v1/tenants/${encodeURIComponent(command.tenant)}/devices`;
      const items: DeviceSummary[] = [];
      let cursor: string | null = null;
      do {
        const query: string = `?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const page: { body: { items: DeviceSummary[]; nextCursor: string | null } } = await client.request(
          'GET',
          `${base}${query}`,
        );
        items.push(...page.body.items);
        cursor = page.body.nextCursor;
      } while (cursor);
      if (items.length === 0) {
        print('no devices');
        return 0;
      }
      for (const line of table(
        ['DEVICE', 'PROTOCOL', 'REVISION', 'STATUS', 'REPLICAS'],
        items.map((d) => [
          `${d.tenant}/${d.id}`,
          d.protocol,
          String(d.revision),
          d.status,
          d.replicas.join(',') || '-',
        ]),
      ))
        print(line);
      return 0;
    }
    case 'inspect': {
      const { body: d } = await client.request<Inspection>('GET', path(command.tenant, command.device));
      print(`device:    ${d.spec.tenant}/${d.spec.id}`);
      print(`protocol:  ${d.spec.protocol}${d.spec.endpoint ? ` ${d.spec.endpoint}` : ''}`);
      print(`revision:  ${d.revision}`);
      print(`status:    ${d.status}${d.detail ? ` (${d.detail})` : ''}`);
      print(`replicas:  ${d.replicas.join(', ') || '-'}`);
      print(`points:    ${d.spec.points.length}`);
      print(`counters:  ${counters(d.counters)}`);
      print(`last seen: ${d.lastSeen ?? 'never'}`);
      for (const r of d.byReplica)
        print(
          `  ${r.replica}${r.live ? '' : ' (dead)'}: ${r.status}${r.detail ? ` (${r.detail})` : ''}, ${counters(r.counters)}, last seen ${r.lastSeen}`,
        );
      return 0;
    }
  }
}
