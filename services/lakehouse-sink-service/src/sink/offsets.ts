/**
 * Kafka offsets as the sink keeps them in Iceberg snapshot summaries (ADR 0003):
 * `openfoundry.kafka.<topic>.<partition>` = the next offset to read, as decimal text.
 */
export type PartitionOffsets = Map<number, bigint>;

export function offsetKey(topic: string, partition: number): string {
  return `openfoundry.kafka.${topic}.${partition}`;
}

/** The offsets of `topic` a snapshot summary carries; keys that do not parse are ignored. */
export function summaryOffsets(summary: Record<string, string> | undefined, topic: string): PartitionOffsets {
  const prefix = `openfoundry.kafka.${topic}.`;
  const offsets: PartitionOffsets = new Map();
  for (const [key, value] of Object.entries(summary ?? {})) {
    if (!key.startsWith(prefix)) continue;
    const partition = key.slice(prefix.length);
    if (!/^\d+$/.test(partition) || !/^\d+$/.test(value)) continue;
    offsets.set(Number(partition), BigInt(value));
  }
  return offsets;
}

/** The summary properties for `offsets`. */
export function offsetProperties(topic: string, offsets: PartitionOffsets): Record<string, string> {
  return Object.fromEntries([...offsets].map(([p, o]) => [offsetKey(topic, p), o.toString()]));
}

/** Per partition, the larger of the two: a table's offsets only move forward. */
export function maxOffsets(a: PartitionOffsets, b: PartitionOffsets): PartitionOffsets {
  const merged = new Map(a);
  for (const [partition, offset] of b) {
    const current = merged.get(partition);
    if (current === undefined || offset > current) merged.set(partition, offset);
  }
  return merged;
}

/** Offsets as a JSON-safe object (partition → decimal text), for logs, Postgres and HTTP. */
export function offsetsJson(offsets: PartitionOffsets): Record<string, string> {
  return Object.fromEntries(
    [...offsets].sort(([a], [b]) => a - b).map(([p, o]) => [String(p), o.toString()]),
  );
}
