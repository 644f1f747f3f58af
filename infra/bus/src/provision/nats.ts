import { existsSync, readFileSync, rmSync } from 'node:fs';
import {
  AckPolicy,
  type ConsumerConfig,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { loadConfig, readPlatformEnv, statePaths } from '@openfoundry/infra-local';
import type { Registry, StreamConsumer, StreamDef } from '../model.ts';
import { subjectWildcard } from '../naming.ts';
import { assertValidRegistry } from '../validate.ts';
import { CredentialStore } from './credentials.ts';
import {
  assertScopeName,
  authFile,
  type NatsUser,
  readScopes,
  reloadNats,
  renderAuthConf,
  scopeFile,
  withUsersLock,
  writeAtomically,
  writeScope,
} from './nats-auth.ts';
import { natsPermissions, natsServices } from './nats-permissions.ts';

export { CredentialStore } from './credentials.ts';
export {
  durableConsumerSubjects,
  inboxPrefix,
  type NatsPermissions,
  natsPermissions,
  natsServices,
} from './nats-permissions.ts';

/** The scope of the platform's own registry; integration tests use their own. */
export const PLATFORM_SCOPE = 'platform';

/** One local nats-server: stream replicas above this are clamped (production keeps the registry's). */
export const LOCAL_MAX_REPLICAS = 1;

export interface NatsProvisionOptions {
  /** Whose users these are: `platform`, or a test's own scope so it never clobbers the platform's users. */
  scope: string;
  /** The services that exist; users are made for those the registry mentions. Defaults to all it mentions. */
  services?: readonly string[];
  credentials?: CredentialStore;
  natsUrl?: string;
  /** The provisioning user: stream administration and nothing a service could do is its job. */
  admin?: { user: string; password: string };
  /** Where nats-server.conf and auth.conf live. */
  confDir?: string;
  pidFile?: string;
  monitorUrl?: string;
  logFile?: string;
  maxReplicas?: number;
  /** How long to wait for the server to take new users. */
  reloadTimeoutMs?: number;
}

export interface NatsProvisionReport {
  streamsCreated: string[];
  streamsUpdated: string[];
  /** `<stream>/<durable>` */
  consumersCreated: string[];
  consumersUpdated: string[];
  users: string[];
  /** False when auth.conf already said the same, so the server was left alone. */
  reloaded: boolean;
}

type Resolved = Required<Omit<NatsProvisionOptions, 'services'>> & {
  services: readonly string[] | undefined;
};

function resolve(options: NatsProvisionOptions): Resolved {
  assertScopeName(options.scope);
  const config = loadConfig();
  const paths = statePaths(config);
  const env = options.natsUrl && options.admin ? undefined : readPlatformEnv();
  return {
    scope: options.scope,
    services: options.services,
    credentials: options.credentials ?? new CredentialStore(),
    natsUrl: options.natsUrl ?? env?.OPENFOUNDRY_NATS_URL ?? `nats://127.0.0.1:${config.ports.nats}`,
    admin: options.admin ?? {
      user: env?.OPENFOUNDRY_NATS_ADMIN_USER ?? config.nats.adminUser,
      password: env?.OPENFOUNDRY_NATS_ADMIN_PASSWORD ?? config.nats.adminPassword,
    },
    confDir: options.confDir ?? paths.conf('nats'),
    pidFile: options.pidFile ?? paths.pid('nats'),
    monitorUrl: options.monitorUrl ?? `http://127.0.0.1:${config.ports.natsMonitor}`,
    logFile: options.logFile ?? paths.log('nats'),
    maxReplicas: options.maxReplicas ?? LOCAL_MAX_REPLICAS,
    reloadTimeoutMs: options.reloadTimeoutMs ?? 10_000,
  };
}

const NS_PER_MS = 1_000_000;

/** The stream settings provisioning owns; the server fills in the rest with its defaults. */
export type StreamSpec = Partial<StreamConfig> & Pick<StreamConfig, 'name' | 'subjects'>;

/** Keys this provisioning owns in stream and consumer metadata; the server adds its own `_nats.*`. */
const META = {
  owner: 'openfoundry.owner',
  service: 'openfoundry.service',
  backoff: 'openfoundry.backoff-ms',
} as const;

/**
 * A stream as the registry declares it: the wildcard forms of the subjects that name it, its limits,
 * and the duplicate window in which a repeated `Nats-Msg-Id` is dropped.
 */
export function streamConfig(
  registry: Registry,
  stream: StreamDef,
  maxReplicas = LOCAL_MAX_REPLICAS,
): StreamSpec {
  const subjects = registry.subjects
    .filter((s) => s.stream === stream.name)
    .map((s) => subjectWildcard(s.name));
  return {
    name: stream.name,
    description: stream.description,
    subjects: [...new Set(subjects)].sort(),
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    storage: stream.storage === 'memory' ? StorageType.Memory : StorageType.File,
    max_age: stream.maxAgeMs * NS_PER_MS,
    max_msgs: stream.maxMsgs,
    max_bytes: stream.maxBytes,
    duplicate_window: stream.duplicateWindowMs * NS_PER_MS,
    num_replicas: Math.max(1, Math.min(stream.replicas, maxReplicas)),
    metadata: { [META.owner]: stream.owner },
  };
}

/**
 * A durable pull consumer as declared. The server's own `backoff` would replace `ack_wait` with its
 * first step (so a handler slower than 1 s would be redelivered while still running); the library
 * applies the backoff itself when it naks a failed message, and the steps ride along in metadata.
 */
export function consumerConfig(stream: StreamDef, consumer: StreamConsumer): Partial<ConsumerConfig> {
  return {
    durable_name: consumer.durable,
    description: `${consumer.service} reads ${stream.name}`,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: consumer.ackWaitMs * NS_PER_MS,
    max_deliver: consumer.maxDeliver,
    ...(consumer.filterSubject ? { filter_subject: subjectWildcard(consumer.filterSubject) } : {}),
    metadata: { [META.service]: consumer.service, [META.backoff]: consumer.backoffMs.join(',') },
  };
}

/** The fields we set, compared as the server reports them back. */
function streamDiffers(wanted: StreamSpec, actual: StreamConfig): boolean {
  return (
    JSON.stringify([...wanted.subjects].sort()) !== JSON.stringify([...(actual.subjects ?? [])].sort()) ||
    wanted.description !== actual.description ||
    wanted.retention !== actual.retention ||
    wanted.discard !== actual.discard ||
    wanted.max_age !== actual.max_age ||
    wanted.max_msgs !== actual.max_msgs ||
    wanted.max_bytes !== actual.max_bytes ||
    wanted.duplicate_window !== actual.duplicate_window ||
    wanted.num_replicas !== actual.num_replicas ||
    ownMetadataDiffers(wanted.metadata, actual.metadata)
  );
}

function consumerDiffers(wanted: Partial<ConsumerConfig>, actual: ConsumerConfig): boolean {
  return (
    wanted.description !== actual.description ||
    wanted.ack_wait !== actual.ack_wait ||
    wanted.max_deliver !== actual.max_deliver ||
    (wanted.filter_subject ?? '') !== (actual.filter_subject ?? '') ||
    (actual.backoff?.length ?? 0) > 0 ||
    ownMetadataDiffers(wanted.metadata, actual.metadata)
  );
}

function ownMetadataDiffers(
  wanted: Record<string, string> = {},
  actual: Record<string, string> = {},
): boolean {
  return Object.entries(wanted).some(([key, value]) => actual[key] !== value);
}

async function adminConnection(options: Resolved): Promise<NatsConnection> {
  return connect({
    servers: options.natsUrl,
    user: options.admin.user,
    pass: options.admin.password,
    name: 'openfoundry-bus-provision',
    reconnect: false,
  });
}

const isNotFound = (error: unknown) =>
  error instanceof JetStreamApiError &&
  (error.code === JetStreamApiCodes.StreamNotFound || error.code === JetStreamApiCodes.ConsumerNotFound);

async function upsertStream(
  jsm: JetStreamManager,
  wanted: StreamSpec,
  report: NatsProvisionReport,
): Promise<void> {
  const actual = await jsm.streams.info(wanted.name).then(
    (info) => info.config,
    (error: unknown) => {
      if (isNotFound(error)) return undefined;
      throw error;
    },
  );
  if (!actual) {
    await jsm.streams.add(wanted);
    report.streamsCreated.push(wanted.name);
    return;
  }
  if (actual.storage !== wanted.storage) {
    throw new Error(
      `stream ${wanted.name} is stored in ${actual.storage} but the registry says ${wanted.storage}: JetStream cannot change that; delete the stream to recreate it`,
    );
  }
  if (!streamDiffers(wanted, actual)) return;
  await jsm.streams.update(wanted.name, { ...wanted, metadata: { ...actual.metadata, ...wanted.metadata } });
  report.streamsUpdated.push(wanted.name);
}

async function upsertConsumer(
  jsm: JetStreamManager,
  stream: string,
  wanted: Partial<ConsumerConfig>,
  report: NatsProvisionReport,
): Promise<void> {
  const durable = wanted.durable_name as string;
  const actual = await jsm.consumers.info(stream, durable).then(
    (info) => info.config,
    (error: unknown) => {
      if (isNotFound(error)) return undefined;
      throw error;
    },
  );
  if (!actual) {
    await jsm.consumers.add(stream, wanted);
    report.consumersCreated.push(`${stream}/${durable}`);
    return;
  }
  if (!consumerDiffers(wanted, actual)) return;
  await jsm.consumers.update(stream, durable, {
    ...wanted,
    backoff: [],
    metadata: { ...actual.metadata, ...wanted.metadata },
  });
  report.consumersUpdated.push(`${stream}/${durable}`);
}

/** Writes auth.conf from all scopes and reloads the server, unless it already says exactly that. */
async function applyUsers(options: Resolved, change: () => void): Promise<boolean> {
  return withUsersLock(options.confDir, async () => {
    change();
    const file = authFile(options.confDir);
    const content = renderAuthConf(options.admin, readScopes(options.confDir));
    const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (current === content) return false;
    writeAtomically(file, content);
    await reloadNats({
      pidFile: options.pidFile,
      monitorUrl: options.monitorUrl,
      logFile: options.logFile,
      timeoutMs: options.reloadTimeoutMs,
    });
    return true;
  });
}

/** Bounded retry until the server lets one of the new users in: proof the reload took effect. */
async function waitForUser(options: Resolved, user: NatsUser): Promise<void> {
  const deadline = Date.now() + options.reloadTimeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      const nc = await connect({
        servers: options.natsUrl,
        user: user.user,
        pass: user.password,
        reconnect: false,
      });
      await nc.close();
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(
          `NATS user ${user.user} still cannot connect after ${attempt} attempts: ${(error as Error).message}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * Makes the running nats-server match a registry: creates or updates every stream and durable
 * consumer, writes this scope's users with their generated permissions, rebuilds auth.conf from
 * all scopes and reloads the server. Running it twice changes nothing the second time.
 */
export async function provisionNats(
  registry: Registry,
  options: NatsProvisionOptions,
): Promise<NatsProvisionReport> {
  const resolved = resolve(options);
  const mentioned = natsServices(registry);
  const services = resolved.services ? mentioned.filter((s) => resolved.services?.includes(s)) : mentioned;
  if (resolved.services) assertValidRegistry(registry, resolved.services);
  const report: NatsProvisionReport = {
    streamsCreated: [],
    streamsUpdated: [],
    consumersCreated: [],
    consumersUpdated: [],
    users: services,
    reloaded: false,
  };

  const nc = await adminConnection(resolved);
  try {
    const jsm = await jetstreamManager(nc);
    for (const stream of registry.streams) {
      await upsertStream(jsm, streamConfig(registry, stream, resolved.maxReplicas), report);
      for (const consumer of stream.consumers) {
        await upsertConsumer(jsm, stream.name, consumerConfig(stream, consumer), report);
      }
    }
  } finally {
    await nc.close();
  }

  const users: NatsUser[] = services.map((service) => {
    const { user, password } = resolved.credentials.get(service).nats;
    return { user, password, permissions: natsPermissions(registry, service) };
  });
  report.reloaded = await applyUsers(resolved, () =>
    writeScope(resolved.confDir, { scope: resolved.scope, users }),
  );
  const first = users[0];
  if (first) await waitForUser(resolved, first);
  return report;
}

/**
 * Removes a scope: its users (auth.conf rebuilt, server reloaded) and, given its registry, the
 * streams that registry declared. Integration tests clean up their fixture registries with it.
 */
export async function deprovisionNats(
  scope: string,
  options: Omit<NatsProvisionOptions, 'scope'> & { registry?: Registry } = {},
): Promise<void> {
  const resolved = resolve({ ...options, scope });
  if (options.registry && options.registry.streams.length > 0) {
    const nc = await adminConnection(resolved);
    try {
      const jsm = await jetstreamManager(nc);
      for (const stream of options.registry.streams) {
        await jsm.streams.delete(stream.name).catch((error: unknown) => {
          if (!isNotFound(error)) throw error;
        });
      }
    } finally {
      await nc.close();
    }
  }
  await applyUsers(resolved, () => {
    rmSync(scopeFile(resolved.confDir, scope), { force: true });
  });
}
