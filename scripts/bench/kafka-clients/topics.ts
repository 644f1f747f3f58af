import { Admin } from '@platformatic/kafka';
import type { KafkaTarget } from './bench-client.ts';

/**
 * Creates and removes the benchmark's own topics and groups on the shared broker. It is the same
 * admin client for every library under test, so topic setup never favours one of them.
 */
export class BenchTopics {
  readonly #admin: Admin;
  readonly #topics = new Set<string>();
  readonly #groups = new Set<string>();

  constructor(target: KafkaTarget) {
    this.#admin = new Admin({
      clientId: 'openfoundry-bench-admin',
      bootstrapBrokers: target.brokers,
      sasl: { mechanism: 'SCRAM-SHA-512', username: target.username, password: target.password },
      timeout: 10_000,
    });
  }

  async create(topic: string, partitions: number): Promise<string> {
    this.#topics.add(topic);
    await this.#admin.createTopics({ topics: [topic], partitions, replicas: 1 });
    await this.#waitForLeaders(topic, partitions);
    return topic;
  }

  /** Remembers a consumer group so cleanup() deletes it with the topics. */
  group(groupId: string): string {
    this.#groups.add(groupId);
    return groupId;
  }

  /** Next offset per partition, i.e. how many records each partition holds (the log starts at 0). */
  async endOffsets(topic: string, partitions: number): Promise<bigint[]> {
    const [listed] = await this.#admin.listOffsets({
      topics: [
        {
          name: topic,
          partitions: Array.from({ length: partitions }, (_, partitionIndex) => ({
            partitionIndex,
            timestamp: -1n,
          })),
        },
      ],
    });
    const ends = Array.from({ length: partitions }, () => 0n);
    for (const p of listed?.partitions ?? []) ends[p.partitionIndex] = p.offset;
    return ends;
  }

  async cleanup(): Promise<string[]> {
    const problems: string[] = [];
    // One at a time: the broker may already have dropped an empty group that never committed.
    for (const group of this.#groups) {
      await this.#admin.deleteGroups({ groups: [group] }).catch((error: Error) => {
        const detail = leafMessages(error);
        if (!detail.every((m) => /does not exist|not found/i.test(m))) {
          problems.push(`group ${group}: ${detail.join('; ')}`);
        }
      });
    }
    if (this.#topics.size > 0) {
      await this.#admin
        .deleteTopics({ topics: [...this.#topics] })
        .catch((error: Error) => problems.push(`topics ${[...this.#topics].join(', ')}: ${error.message}`));
    }
    this.#groups.clear();
    this.#topics.clear();
    return problems;
  }

  close(): Promise<void> {
    return this.#admin.close();
  }

  async #waitForLeaders(topic: string, partitions: number): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const metadata = await this.#admin
        .metadata({ topics: [topic], forceUpdate: true })
        .catch(() => undefined);
      const found = metadata?.topics.get(topic);
      if (found && found.partitionsCount === partitions && found.partitions.every((p) => p.leader >= 0))
        return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`topic ${topic} has no leader for every partition after 5s`);
  }
}

/** The innermost messages of a (possibly nested) aggregate error, where the broker's reason is. */
function leafMessages(error: unknown): string[] {
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors.flatMap(leafMessages);
  if (error instanceof Error && error.cause) return leafMessages(error.cause);
  return [error instanceof Error ? error.message : String(error)];
}
