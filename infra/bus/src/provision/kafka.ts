import { pbkdf2Sync, randomBytes } from 'node:crypto';
import {
  type Acl,
  AclOperations,
  AclPermissionTypes,
  Admin,
  alterUserScramCredentialsV0,
  ConfigResourceTypes,
  Connection,
  IncrementalAlterConfigOperationTypes,
  ResourcePatternTypes,
  ResourceTypes,
} from '@platformatic/kafka';
import type { Registry, TopicDef } from '../model.ts';
import { domainOf, groupPrefix } from '../naming.ts';
import type { CredentialStore } from './credentials.ts';

export interface KafkaProvisionOptions {
  /** `host:port` of one broker. */
  bootstrap: string;
  admin: { username: string; password: string };
  credentials: CredentialStore;
  /** The services to create principals and ACLs for (every registry owner/consumer must be one). */
  services: readonly string[];
}

export interface KafkaProvisionReport {
  topicsCreated: string[];
  topicsUpdated: string[];
  principals: string[];
  aclsCreated: number;
  aclsDeleted: number;
}

const SCRAM_SHA_512 = 2;
const SCRAM_ITERATIONS = 4096;

export const principalOf = (service: string) => `User:${service}`;

/**
 * The ACLs one service gets from the registry (ADR 0003 "Identity"): write on its own domain
 * prefix (its topics and dead-letter topics), read on each topic it is a declared consumer of,
 * and its consumer groups under `<service>.`. Nothing else: the broker refuses everything else.
 */
export function kafkaAcls(registry: Registry, service: string): Acl[] {
  const principal = principalOf(service);
  const allow = (
    resourceType: Acl['resourceType'],
    resourceName: string,
    resourcePatternType: Acl['resourcePatternType'],
    operation: Acl['operation'],
  ): Acl => ({
    resourceType,
    resourceName,
    resourcePatternType,
    principal,
    host: '*',
    operation,
    permissionType: AclPermissionTypes.ALLOW,
  });
  const acls: Acl[] = [];
  const owns = registry.topics.some((t) => t.owner === service);
  if (owns) {
    const prefix = `${domainOf(service)}.`;
    acls.push(allow(ResourceTypes.TOPIC, prefix, ResourcePatternTypes.PREFIXED, AclOperations.WRITE));
    acls.push(allow(ResourceTypes.TOPIC, prefix, ResourcePatternTypes.PREFIXED, AclOperations.DESCRIBE));
    // Pre-2.8 clients ask for it before idempotent produce; newer brokers imply it from WRITE.
    acls.push(
      allow(
        ResourceTypes.CLUSTER,
        'kafka-cluster',
        ResourcePatternTypes.LITERAL,
        AclOperations.IDEMPOTENT_WRITE,
      ),
    );
  }
  const consumed = registry.topics.filter((t) => t.consumers.some((c) => c.service === service));
  for (const t of consumed) {
    acls.push(allow(ResourceTypes.TOPIC, t.name, ResourcePatternTypes.LITERAL, AclOperations.READ));
    acls.push(allow(ResourceTypes.TOPIC, t.name, ResourcePatternTypes.LITERAL, AclOperations.DESCRIBE));
  }
  if (consumed.length > 0) {
    acls.push(
      allow(ResourceTypes.GROUP, groupPrefix(service), ResourcePatternTypes.PREFIXED, AclOperations.READ),
    );
    acls.push(
      allow(ResourceTypes.GROUP, groupPrefix(service), ResourcePatternTypes.PREFIXED, AclOperations.DESCRIBE),
    );
  }
  return acls;
}

const aclKey = (a: Acl) =>
  [
    a.resourceType,
    a.resourceName,
    a.resourcePatternType,
    a.principal,
    a.host,
    a.operation,
    a.permissionType,
  ].join('|');

/** Topic-level configs from the registry, with replication clamped to the brokers we have. */
export function topicConfigs(t: TopicDef, brokers: number): Record<string, string> {
  const replication = Math.min(t.replicationFactor, brokers);
  return {
    'cleanup.policy': t.cleanupPolicy,
    'retention.ms': String(t.retentionMs),
    'max.message.bytes': String(t.maxMessageBytes),
    'min.insync.replicas': String(Math.min(t.minInsyncReplicas, replication)),
  };
}

function parseBootstrap(bootstrap: string): { host: string; port: number } {
  const [host, port] = bootstrap.split(':');
  return { host: host || '127.0.0.1', port: Number(port) };
}

async function upsertScramUsers(options: KafkaProvisionOptions, services: readonly string[]): Promise<void> {
  if (services.length === 0) return;
  const { host, port } = parseBootstrap(options.bootstrap);
  const connection = new Connection('openfoundry-bus-provision', {
    sasl: { mechanism: 'SCRAM-SHA-512', username: options.admin.username, password: options.admin.password },
  });
  try {
    await connection.connect(host, port);
    // KRaft accepts SCRAM changes on any broker and forwards them to the controller.
    await alterUserScramCredentialsV0.api.async(
      connection,
      [],
      services.map((service) => {
        const { password } = options.credentials.get(service).kafka;
        const salt = randomBytes(32);
        return {
          name: service,
          mechanism: SCRAM_SHA_512,
          iterations: SCRAM_ITERATIONS,
          salt,
          saltedPassword: pbkdf2Sync(password, salt, SCRAM_ITERATIONS, 64, 'sha512'),
        };
      }),
    );
  } finally {
    await connection.close().catch(() => {});
  }
}

/** The services a registry gives Kafka access to: topic owners and declared consumers. */
export function kafkaServices(registry: Registry): string[] {
  const names = new Set<string>();
  for (const t of registry.topics) {
    names.add(t.owner);
    for (const c of t.consumers) names.add(c.service);
  }
  return [...names].sort();
}

export function kafkaAdmin(options: Pick<KafkaProvisionOptions, 'bootstrap' | 'admin'>): Admin {
  return new Admin({
    clientId: 'openfoundry-bus-provision',
    bootstrapBrokers: [options.bootstrap],
    sasl: { mechanism: 'SCRAM-SHA-512', username: options.admin.username, password: options.admin.password },
    retries: 2,
    timeout: 10_000,
  });
}

/**
 * Makes the broker match the registry: creates missing topics, raises partition counts, sets
 * topic configs, (re)sets each service's SCRAM credentials and replaces its ACLs with exactly
 * the generated set. Safe to run again; a partition count is never lowered (Kafka can't).
 */
export async function provisionKafka(
  registry: Registry,
  options: KafkaProvisionOptions,
): Promise<KafkaProvisionReport> {
  const admin = kafkaAdmin(options);
  const report: KafkaProvisionReport = {
    topicsCreated: [],
    topicsUpdated: [],
    principals: [],
    aclsCreated: 0,
    aclsDeleted: 0,
  };
  try {
    const metadata = await admin.metadata({ topics: [] });
    const brokers = metadata.brokers.size;
    const existing = new Set(await admin.listTopics());
    for (const t of registry.topics) {
      const configs = topicConfigs(t, brokers);
      if (!existing.has(t.name)) {
        await admin.createTopics({
          topics: [t.name],
          partitions: t.partitions,
          replicas: Math.min(t.replicationFactor, brokers),
          configs: Object.entries(configs).map(([name, value]) => ({ name, value })),
        });
        report.topicsCreated.push(t.name);
        continue;
      }
      const current = await admin.metadata({ topics: [t.name], forceUpdate: true });
      const partitions = current.topics.get(t.name)?.partitionsCount ?? t.partitions;
      if (partitions < t.partitions) {
        await admin.createPartitions({ topics: [{ name: t.name, count: t.partitions }] });
      }
      await admin.incrementalAlterConfigs({
        resources: [
          {
            resourceType: ConfigResourceTypes.TOPIC,
            resourceName: t.name,
            configs: Object.entries(configs).map(([name, value]) => ({
              name,
              value,
              configOperation: IncrementalAlterConfigOperationTypes.SET,
            })),
          },
        ],
      });
      report.topicsUpdated.push(t.name);
    }

    const services = kafkaServices(registry).filter((s) => options.services.includes(s));
    await upsertScramUsers(options, services);
    report.principals = services.map(principalOf);
    for (const service of services) {
      const wanted = kafkaAcls(registry, service);
      const current = await describePrincipalAcls(admin, service);
      const wantedKeys = new Set(wanted.map(aclKey));
      const currentKeys = new Set(current.map(aclKey));
      const missing = wanted.filter((a) => !currentKeys.has(aclKey(a)));
      const stale = current.filter((a) => !wantedKeys.has(aclKey(a)));
      if (missing.length > 0) await admin.createAcls({ creations: missing });
      if (stale.length > 0) await admin.deleteAcls({ filters: stale });
      report.aclsCreated += missing.length;
      report.aclsDeleted += stale.length;
    }
    return report;
  } finally {
    await admin.close().catch(() => {});
  }
}

async function describePrincipalAcls(admin: Admin, service: string): Promise<Acl[]> {
  const resources = await admin.describeAcls({
    filter: {
      resourceType: ResourceTypes.ANY,
      resourceName: null,
      resourcePatternType: ResourcePatternTypes.ANY,
      principal: principalOf(service),
      host: null,
      operation: AclOperations.ANY,
      permissionType: AclPermissionTypes.ANY,
    },
  });
  return resources.flatMap((r) =>
    r.acls.map((a) => ({
      resourceType: r.resourceType,
      resourceName: r.resourceName,
      resourcePatternType: r.resourcePatternType,
      principal: a.principal,
      host: a.host,
      operation: a.operation,
      permissionType: a.permissionType,
    })),
  );
}

/** Removes what provisionKafka created for a registry: its topics, its principals' ACLs and users. */
export async function deprovisionKafka(registry: Registry, options: KafkaProvisionOptions): Promise<void> {
  const admin = kafkaAdmin(options);
  try {
    const existing = new Set(await admin.listTopics());
    const topics = registry.topics.map((t) => t.name).filter((name) => existing.has(name));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    const services = kafkaServices(registry).filter((s) => options.services.includes(s));
    for (const service of services) {
      const current = await describePrincipalAcls(admin, service);
      if (current.length > 0) await admin.deleteAcls({ filters: current });
    }
    if (services.length > 0) {
      const { host, port } = parseBootstrap(options.bootstrap);
      const connection = new Connection('openfoundry-bus-provision', {
        sasl: {
          mechanism: 'SCRAM-SHA-512',
          username: options.admin.username,
          password: options.admin.password,
        },
      });
      try {
        await connection.connect(host, port);
        await alterUserScramCredentialsV0.api
          .async(
            connection,
            services.map((name) => ({ name, mechanism: SCRAM_SHA_512 })),
            [],
          )
          .catch(() => {});
      } finally {
        await connection.close().catch(() => {});
      }
    }
  } finally {
    await admin.close().catch(() => {});
  }
}
