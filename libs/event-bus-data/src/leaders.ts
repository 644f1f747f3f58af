import type { ClusterMetadata, Connection, ConnectionPool } from '@platformatic/kafka';

// Where the fetch loop and the batch sender send a partition's request: to its leader, over a
// connection pool of their own (ADR 0026, 0027).

/** Items grouped by the broker that leads their partition; those whose partition has no leader now apart. */
export function groupByLeader<T>(
  metadata: ClusterMetadata,
  items: Iterable<T>,
  topicOf: (item: T) => string,
  partitionOf: (item: T) => number,
): { byLeader: Map<number, T[]>; leaderless: T[] } {
  const byLeader = new Map<number, T[]>();
  const leaderless: T[] = [];
  for (const item of items) {
    const leader = metadata.topics.get(topicOf(item))?.partitions[partitionOf(item)]?.leader;
    if (leader === undefined || leader < 0) {
      leaderless.push(item);
      continue;
    }
    const list = byLeader.get(leader);
    if (list) list.push(item);
    else byLeader.set(leader, [item]);
  }
  return { byLeader, leaderless };
}

/** A pooled connection to a broker of the metadata. */
export function leaderConnection(
  pool: ConnectionPool,
  metadata: ClusterMetadata,
  leader: number,
): Promise<Connection> {
  const broker = metadata.brokers.get(leader);
  if (!broker) return Promise.reject(new Error(`broker ${leader} is not in the cluster metadata`));
  return pool.get(broker);
}
