import type { PartitionOffsets } from './offsets.ts';
import { type SinkRecord, StagedEvents } from './staged-events.ts';

interface TenantBuffer {
  /** One per batch that brought the tenant records, in arrival order. */
  staged: StagedEvents[];
  records: number;
  bytes: number;
  /** When the oldest buffered record arrived (ms since epoch). */
  since: number;
}

export interface BufferedTenant {
  tenant: string;
  records: number;
  bytes: number;
  since: Date;
}

/**
 * What the sink has read but not yet made durable, per tenant, and what that means for Kafka:
 * a partition's offset may be committed only up to its oldest record still buffered for any
 * tenant (a partition carries many tenants), or up to what was read when nothing is buffered.
 */
export class SinkBuffer {
  private readonly tenants = new Map<string, TenantBuffer>();
  /** Per partition, the offset after the last record taken in: what was read. */
  private readonly read: PartitionOffsets = new Map();

  /**
   * Takes in a batch's records and its read positions, staging each tenant's records as they
   * come (`StagedEvents`). A record below what was already read is skipped: it is either buffered
   * or durable (a batch redelivered after a failed handler, or a partition handed back after a
   * rebalance).
   */
  add(records: readonly SinkRecord[], nextOffsets: ReadonlyMap<number, bigint>, now = Date.now()): number {
    const byTenant = new Map<string, SinkRecord[]>();
    for (const record of records) {
      const read = this.read.get(record.partition);
      if (read !== undefined && record.offset < read) continue;
      const list = byTenant.get(record.tenant);
      if (list) list.push(record);
      else byTenant.set(record.tenant, [record]);
    }
    let added = 0;
    for (const [tenant, list] of byTenant) {
      const staged = StagedEvents.of(list);
      let buffer = this.tenants.get(tenant);
      if (!buffer) {
        buffer = { staged: [], records: 0, bytes: 0, since: now };
        this.tenants.set(tenant, buffer);
      }
      buffer.staged.push(staged);
      buffer.records += staged.count;
      buffer.bytes += staged.bytes;
      added += staged.count;
    }
    for (const [partition, next] of nextOffsets) {
      const read = this.read.get(partition);
      if (read === undefined || next > read) this.read.set(partition, next);
    }
    return added;
  }

  /** What is buffered for a tenant, in arrival (per-partition offset) order. */
  staged(tenant: string): readonly StagedEvents[] {
    return this.tenants.get(tenant)?.staged ?? [];
  }

  /** Forgets the first `count` of a tenant's staged batches (`staged`) once they are durable. */
  release(tenant: string, count: number, now = Date.now()): void {
    const buffer = this.tenants.get(tenant);
    if (!buffer) return;
    for (const released of buffer.staged.splice(0, count)) {
      buffer.records -= released.count;
      buffer.bytes -= released.bytes;
    }
    if (buffer.staged.length === 0) this.tenants.delete(tenant);
    else buffer.since = now;
  }

  /** Tenants whose buffer reached `bytes`. */
  full(bytes: number): string[] {
    return [...this.tenants].filter(([, b]) => b.bytes >= bytes).map(([tenant]) => tenant);
  }

  /** Tenants whose oldest record has waited `intervalMs` or longer. */
  due(intervalMs: number, now = Date.now()): string[] {
    return [...this.tenants].filter(([, b]) => now - b.since >= intervalMs).map(([tenant]) => tenant);
  }

  /** Every tenant with something buffered. */
  buffered(): BufferedTenant[] {
    return [...this.tenants].map(([tenant, b]) => ({
      tenant,
      records: b.records,
      bytes: b.bytes,
      since: new Date(b.since),
    }));
  }

  /** Per partition read so far, the next offset Kafka may be told: nothing below it is only in memory. */
  durableOffsets(): PartitionOffsets {
    const safe = new Map(this.read);
    for (const buffer of this.tenants.values()) {
      for (const staged of buffer.staged) {
        for (const [partition, first] of staged.firstOffsets) {
          const current = safe.get(partition);
          if (current === undefined || first < current) safe.set(partition, first);
        }
      }
    }
    return safe;
  }

  /** What was read per partition (the next offset after the last record taken in). */
  readOffsets(): PartitionOffsets {
    return new Map(this.read);
  }
}
