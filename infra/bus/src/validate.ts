import {
  CONTROL_KINDS,
  CONTROL_MAX_PAYLOAD_BYTES,
  DATA_KINDS,
  type Registry,
  SCHEMA_BASE_URL,
  type StreamDef,
  type SubjectDef,
  type TopicDef,
} from './model.ts';
import {
  domainOf,
  groupPrefix,
  streamPrefix,
  subjectMatches,
  subjectTemplateProblem,
  subjectWildcard,
} from './naming.ts';

export interface RegistryIssue {
  /** Stable code, e.g. `unknown-owner`; bus-lint reports it as `registry/<code>`. */
  code: string;
  /** Where in the registry: `topics[tenancy.tenants.v1].owner`. */
  path: string;
  message: string;
}

const KAFKA_TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
const NATS_NAME = /^[A-Za-z0-9_-]{1,255}$/;

/**
 * Every problem with a registry, given the services that exist (the names in the service
 * manifests). An empty list means provisioning and the bus libraries can trust it.
 */
export function validateRegistry(registry: Registry, services: readonly string[]): RegistryIssue[] {
  const issues: RegistryIssue[] = [];
  const known = new Set(services);
  const add = (code: string, path: string, message: string) => issues.push({ code, path, message });
  const owner = (path: string, service: string, role = 'owner') => {
    if (!known.has(service)) {
      add(
        'unknown-owner',
        path,
        `${role} "${service}" is not a service (no services/*/service.json names it); known: ${[...known].sort().join(', ') || 'none'}`,
      );
    }
  };
  const duplicates = (kind: string, names: readonly string[]) => {
    const seen = new Set<string>();
    for (const name of names) {
      if (seen.has(name)) add('duplicate-name', `${kind}[${name}]`, `${kind} "${name}" is declared twice`);
      seen.add(name);
    }
  };
  duplicates(
    'topics',
    registry.topics.map((t) => t.name),
  );
  duplicates(
    'subjects',
    registry.subjects.map((s) => s.name),
  );
  duplicates(
    'streams',
    registry.streams.map((s) => s.name),
  );

  for (const t of registry.topics) checkTopic(t, owner, add);
  const streams = new Map(registry.streams.map((s) => [s.name, s]));
  for (const s of registry.subjects) checkSubject(s, streams, owner, add);
  for (const s of registry.streams) checkStream(s, registry.subjects, owner, add);
  checkOverlaps(registry.subjects, add);
  return issues;
}

type Add = (code: string, path: string, message: string) => void;
type Owner = (path: string, service: string, role?: string) => void;

function checkSchema(path: string, schema: TopicDef['schema'] | undefined, add: Add) {
  if (!schema || typeof schema !== 'object' || !schema.zod) {
    add(
      'missing-schema',
      `${path}.schema`,
      'has no payload schema: declare one with payloadSchema(id, version, zod)',
    );
    return;
  }
  const expected = `${SCHEMA_BASE_URL}/${schema.id}/v${schema.version}.json`;
  if (schema.url !== expected) {
    add('schema-url', `${path}.schema`, `schema URL ${schema.url} should be ${expected}`);
  }
}

function checkTopic(t: TopicDef, owner: Owner, add: Add) {
  const path = `topics[${t.name}]`;
  owner(`${path}.owner`, t.owner);
  if (!KAFKA_TOPIC.test(t.name)) add('bad-name', path, `"${t.name}" is not a valid Kafka topic name`);
  if (!t.name.startsWith(`${domainOf(t.owner)}.`)) {
    add(
      'name-prefix',
      path,
      `topic names start with the owner's domain token: "${domainOf(t.owner)}." (owner ${t.owner})`,
    );
  }
  if (!(t.kind in DATA_KINDS)) {
    add(
      'wrong-bus',
      `${path}.kind`,
      `kind "${t.kind}" belongs on the control bus (ADR 0005 row ${CONTROL_KINDS[t.kind as keyof typeof CONTROL_KINDS] ?? '?'}); data-bus kinds are ${Object.keys(DATA_KINDS).join(', ')}`,
    );
  }
  checkSchema(path, t.schema, add);
  if (!Number.isInteger(t.partitions) || t.partitions < 1) {
    add('bad-limit', `${path}.partitions`, `partitions must be a positive integer, got ${t.partitions}`);
  }
  if (t.retentionMs !== -1 && !(Number.isInteger(t.retentionMs) && t.retentionMs > 0)) {
    add(
      'bad-limit',
      `${path}.retentionMs`,
      `retentionMs must be -1 (forever) or positive, got ${t.retentionMs}`,
    );
  }
  if (t.repeats) {
    const { idField, window } = t.repeats;
    if (!Number.isInteger(window) || window < 1 || window > 1_000_000) {
      add(
        'bad-limit',
        `${path}.repeats.window`,
        `repeats.window must be an integer in 1..1000000, got ${window}`,
      );
    }
    const shape = (t.schema?.zod as { shape?: Record<string, unknown> } | undefined)?.shape;
    if (!shape || !(idField in shape)) {
      add(
        'bad-schema',
        `${path}.repeats.idField`,
        `repeats.idField "${idField}" is not a top-level field of ${t.schema?.id}`,
      );
    }
  }
  if (t.minInsyncReplicas > t.replicationFactor) {
    add(
      'bad-limit',
      `${path}.minInsyncReplicas`,
      `minInsyncReplicas ${t.minInsyncReplicas} exceeds replicationFactor ${t.replicationFactor}`,
    );
  }
  const groups = new Set<string>();
  for (const c of t.consumers) {
    owner(`${path}.consumers[${c.group}]`, c.service, 'consumer');
    if (!c.group.startsWith(groupPrefix(c.service)) || c.group.length <= groupPrefix(c.service).length) {
      add(
        'group-prefix',
        `${path}.consumers[${c.group}]`,
        `consumer group "${c.group}" must be "${groupPrefix(c.service)}<purpose>"`,
      );
    }
    if (groups.has(c.group))
      add('duplicate-name', `${path}.consumers[${c.group}]`, 'consumer group declared twice');
    groups.add(c.group);
  }
}

function checkSubject(s: SubjectDef, streams: Map<string, StreamDef>, owner: Owner, add: Add) {
  const path = `subjects[${s.name}]`;
  owner(`${path}.owner`, s.owner);
  const problem = subjectTemplateProblem(s.name);
  if (problem) add('bad-name', path, problem);
  const first = s.name.split('.')[0];
  const expectedFirst = s.kind === 'live' ? 'live' : domainOf(s.owner);
  if (first !== expectedFirst) {
    add('name-prefix', path, `subjects of ${s.owner} start with "${expectedFirst}." (ADR 0005)`);
  }
  if (!(s.kind in CONTROL_KINDS)) {
    add(
      'wrong-bus',
      `${path}.kind`,
      `kind "${s.kind}" belongs on the data bus (ADR 0005 row ${DATA_KINDS[s.kind as keyof typeof DATA_KINDS] ?? '?'}); control-bus kinds are ${Object.keys(CONTROL_KINDS).join(', ')}`,
    );
  }
  checkSchema(path, s.schema, add);
  if (s.maxPayloadBytes > CONTROL_MAX_PAYLOAD_BYTES) {
    add(
      'wrong-bus',
      `${path}.maxPayloadBytes`,
      `${s.maxPayloadBytes} bytes exceeds the control bus's ${CONTROL_MAX_PAYLOAD_BYTES}: larger payloads go on Kafka or to object storage (ADR 0005 tie-breaker)`,
    );
  }
  if (s.stream !== undefined) {
    const st = streams.get(s.stream);
    if (!st) add('unknown-stream', `${path}.stream`, `stream "${s.stream}" is not declared`);
    else if (st.owner !== s.owner) {
      add('stream-owner', `${path}.stream`, `stream ${st.name} belongs to ${st.owner}, not ${s.owner}`);
    }
    if (s.kind === 'live')
      add('live-stored', `${path}.stream`, 'live fan-out subjects are never stored in a stream');
  }
  if (s.kind !== 'command' && s.senders.length > 0) {
    add('senders', `${path}.senders`, 'only commands have senders besides their owner');
  }
  if (s.kind === 'command' && s.subscribers.length > 0) {
    add('senders', `${path}.subscribers`, 'a command has one handler, its owner: list requesters as senders');
  }
  if (s.reply && s.kind !== 'command') add('senders', `${path}.reply`, 'only commands have replies');
  for (const sender of s.senders) owner(`${path}.senders`, sender, 'sender');
  for (const sub of s.subscribers) owner(`${path}.subscribers`, sub, 'subscriber');
}

function checkStream(s: StreamDef, subjects: readonly SubjectDef[], owner: Owner, add: Add) {
  const path = `streams[${s.name}]`;
  owner(`${path}.owner`, s.owner);
  if (!NATS_NAME.test(s.name)) add('bad-name', path, `"${s.name}" is not a valid stream name`);
  if (!s.name.startsWith(streamPrefix(s.owner))) {
    add('name-prefix', path, `streams of ${s.owner} are named "${streamPrefix(s.owner)}…"`);
  }
  const captured = subjects.filter((x) => x.stream === s.name);
  if (captured.length === 0) add('empty-stream', path, 'no subject names this stream');
  if (s.maxMsgs !== -1 && !(Number.isInteger(s.maxMsgs) && s.maxMsgs > 0)) {
    add('bad-limit', `${path}.maxMsgs`, `maxMsgs must be -1 or positive, got ${s.maxMsgs}`);
  }
  if (!(Number.isInteger(s.maxAgeMs) && s.maxAgeMs >= 0)) {
    add('bad-limit', `${path}.maxAgeMs`, `maxAgeMs must be 0 (forever) or positive, got ${s.maxAgeMs}`);
  }
  const durables = new Set<string>();
  for (const c of s.consumers) {
    const cpath = `${path}.consumers[${c.durable}]`;
    owner(cpath, c.service, 'consumer');
    if (!NATS_NAME.test(c.durable) || !c.durable.startsWith(domainOf(c.service))) {
      add(
        'name-prefix',
        cpath,
        `durable names start with the consumer's domain token "${domainOf(c.service)}"`,
      );
    }
    if (durables.has(c.durable)) add('duplicate-name', cpath, 'durable consumer declared twice');
    durables.add(c.durable);
    if (c.filterSubject !== undefined && !captured.some((x) => x.name === c.filterSubject)) {
      add(
        'unknown-subject',
        `${cpath}.filterSubject`,
        `${c.filterSubject} is not a subject of stream ${s.name}`,
      );
    }
    if (c.backoffMs.length >= c.maxDeliver) {
      add(
        'bad-limit',
        `${cpath}.backoffMs`,
        `backoff has ${c.backoffMs.length} steps; it needs fewer than maxDeliver (${c.maxDeliver})`,
      );
    }
    if (c.ackWaitMs <= 0) add('bad-limit', `${cpath}.ackWaitMs`, 'ackWaitMs must be positive');
  }
}

function checkOverlaps(subjects: readonly SubjectDef[], add: Add) {
  const stored = subjects.filter((s) => s.stream !== undefined);
  for (const [i, a] of stored.entries()) {
    for (const b of stored.slice(i + 1)) {
      if (a.stream === b.stream) continue;
      const pa = subjectWildcard(a.name);
      const pb = subjectWildcard(b.name);
      if (subjectMatches(pa, pb) || subjectMatches(pb, pa)) {
        add(
          'stream-overlap',
          `subjects[${b.name}]`,
          `overlaps ${a.name}, which stream ${a.stream} captures; one subject lives in one stream`,
        );
      }
    }
  }
}

export class RegistryError extends Error {
  override name = 'RegistryError';
  readonly issues: RegistryIssue[];
  constructor(issues: RegistryIssue[]) {
    super(
      `the bus registry is invalid:\n${issues.map((i) => `  ${i.path}: ${i.message} [${i.code}]`).join('\n')}`,
    );
    this.issues = issues;
  }
}

/** Throws a RegistryError listing every problem, or returns the registry unchanged. */
export function assertValidRegistry<R extends Registry>(registry: R, services: readonly string[]): R {
  const issues = validateRegistry(registry, services);
  if (issues.length > 0) throw new RegistryError(issues);
  return registry;
}
