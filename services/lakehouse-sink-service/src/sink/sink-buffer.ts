import type { AssetEvent } from '@openfoundry/bus-registry';
import type { PartitionOffsets } from './offsets.ts';

/** One asset-stream record as the sink buffers it. */
export interface SinkRecord {
  partition: number;
  offset: bigint;
  /** Kafka key + value bytes. */
  size: number;
  event: AssetEvent;
  /** The value as it arrived: the event's JSON, written to the table as it is (see assetEventLines). */
  bytes: Uint8Array;
}

interface TenantBuffer {
  records: SinkRecord[];
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
   * Takes in a batch's records and its read positions. A record below what was already read is
   * skipped: it is either buffered or durable (a batch redelivered after a failed handler, or a
   * partition handed back after a rebalance).
   */
  add(records: readonly SinkRecord[], nextOffsets: ReadonlyMap<number, bigint>, now = Date.now()): number {
    let added = 0;
    for (const record of records) {
      const read = this.read.get(record.partition);
      if (read !== undefined && record.offset < read) continue;
      let buffer = this.tenants.get(record.event.tenant);
      if (!buffer) {
        buffer = { records: [], bytes: 0, since: now };
        this.tenants.set(record.event.tenant, buffer);
      }
      buffer.records.push(record);
      buffer.bytes += record.size;
      added += 1;
    }
    for (const [partition, next] of nextOffsets) {
      const read = this.read.get(partition);
      if (read === undefined || next > read) this.read.set(partition, next);
    }
    return added;
  }

  /** The records buffered for a tenant, in arrival (per-partition offset) order. */
  records(tenant: string): readonly SinkRecord[] {
    return this.tenants.get(tenant)?.records ?? [];
  }

  /** Forgets a tenant's buffered records once they are durable. */
  release(tenant: string, count: number, now = Date.now()): void {
    const buffer = this.tenants.get(tenant);
    if (!buffer) return;
    const released = buffer.records.splice(0, count);
    buffer.bytes -= released.reduce((n, r) => n + r.size, 0);
    if (buffer.records.length === 0) this.tenants.delete(tenant);
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
      records: b.records.length,
      bytes: b.bytes,
      since: new Date(b.since),
    }));
  }

  /** Per partition read so far, the next offset Kafka may be told: nothing below it is only in memory. */
  durableOffsets(): PartitionOffsets {
    const safe = new Map(this.read);
    for (const buffer of this.tenants.values()) {
      for (const record of buffer.records) {
        const current = safe.get(record.partition);
        if (current === undefined || record.offset < current) safe.set(record.partition, record.offset);
      }
    }
    return safe;
  }

  /** What was read per partition (the next offset after the last record taken in). */
  readOffsets(): PartitionOffsets {
    return new Map(this.read);
  }
}
