/** Where and as whom a client connects; every client in the comparison gets the same. */
export interface KafkaTarget {
  brokers: string[];
  username: string;
  password: string;
}

export interface BenchMessage {
  key: Buffer;
  value: Buffer;
}

export interface BenchProducer {
  /** Resolves once the broker acknowledged every message of this call (acks=all), rejects otherwise. */
  send(topic: string, messages: BenchMessage[]): Promise<void>;
  close(): Promise<void>;
}

export interface ConsumedRecord {
  partition: number;
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
}

export interface ConsumeOptions {
  topic: string;
  groupId: string;
  /** Called for every record in partition order; returning true stops the consumer. */
  onRecord(record: ConsumedRecord): boolean;
  timeoutMs: number;
}

/**
 * One Kafka client library behind the operations the benchmark needs. The settings that matter
 * for the comparison (acks=all, idempotence, Java-compatible murmur2 partitioning, reading from
 * the earliest offset without committing) are fixed inside each implementation, not passed in.
 */
export interface BenchClient {
  /** Short, topic-name-safe id, also the value of --clients. */
  readonly id: string;
  readonly name: string;
  readonly version: string;
  /** Settings this client needed beyond the shared ones, printed next to the results. */
  readonly notes: string[];
  createProducer(target: KafkaTarget, clientId: string): Promise<BenchProducer>;
  /** Reads `topic` from the earliest offset until onRecord returns true; rejects at the timeout. */
  consume(target: KafkaTarget, options: ConsumeOptions): Promise<void>;
}
