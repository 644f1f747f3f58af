// Pinned versions of everything the runner downloads. Bump here, nowhere else.
export const NATS_SERVER_MODULE = 'github.com/nats-io/nats-server/v2';
export const NATS_SERVER_VERSION = 'v2.15.2';
/** MinIO publishes no tagged Go module versions any more; this pseudo-version is its newest module. */
export const MINIO_MODULE = 'github.com/minio/minio';
export const MINIO_VERSION = 'v0.0.0-20260212201848-7aac2a2c5b7c';
/** Newest Kafka 4.x whose jars Maven Central serves (kafka-tools 4.4.0 is not published; the runner does not need it). */
export const KAFKA_VERSION = '4.4.0';
export const LOG4J_VERSION = '2.24.3';
/** Must match the @duckdb/node-api pin (1.5.5-r.x). */
export const DUCKDB_VERSION = '1.5.5';
/** The extensions the platform loads; avro is a load-time dependency of iceberg. */
export const DUCKDB_EXTENSIONS = ['httpfs', 'iceberg', 'postgres_scanner', 'tpch', 'avro'] as const;
export const POSTGRES_MAJOR = 15;
export const MIN_JAVA_MAJOR = 17;
