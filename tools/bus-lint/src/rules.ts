export type Severity = 'error' | 'warning';

export interface Rule {
  readonly id: string;
  readonly severity: Severity;
  /** One line: what the rule requires. */
  readonly summary: string;
  /** What to do about a finding; printed after every message. */
  readonly fix: string;
  /** The ADRs that justify the rule (ADR 0001: a rule with no ADR is not merged). */
  readonly adrs: readonly string[];
  /** File name under docs/rules/. */
  readonly doc: string;
}

/** Every registry issue code becomes `registry/<code>`; they share one rule entry and one doc page. */
export const REGISTRY_PREFIX = 'registry/';

const rule = (r: Omit<Rule, 'doc'> & { doc?: string }): Rule => ({ doc: `${r.id}.md`, ...r });

export const RULES: readonly Rule[] = [
  rule({
    id: 'no-direct-client',
    severity: 'error',
    summary: 'Services reach Kafka and NATS only through the bus libraries, never a broker client package.',
    fix: 'use DataBus from @openfoundry/event-bus-data or ControlBus from @openfoundry/event-bus-control',
    adrs: ['0003', '0005', '0008', '0010'],
  }),
  rule({
    id: 'unknown-topic',
    severity: 'error',
    summary: 'Every Kafka topic used in code is declared in the bus registry.',
    fix: 'declare the topic with topic({...}) in infra/bus/src/platform.ts, or correct the name',
    adrs: ['0003', '0010'],
  }),
  rule({
    id: 'unknown-subject',
    severity: 'error',
    summary: 'Every NATS subject used in code is declared in the bus registry.',
    fix: 'declare the subject with subject({...}) in infra/bus/src/platform.ts, or correct the name',
    adrs: ['0005', '0010'],
  }),
  rule({
    id: 'unknown-stream',
    severity: 'error',
    summary: 'Every JetStream stream consumed in code is declared in the bus registry.',
    fix: 'declare the stream with stream({...}) in infra/bus/src/platform.ts, or correct the name',
    adrs: ['0005', '0010'],
  }),
  rule({
    id: 'not-owner',
    severity: 'error',
    summary:
      "Only a topic's or subject's owner publishes it, directly or through its outbox; a command is also sent by its declared senders and handled only by its owner.",
    fix: "publish from the owning service, or add this service to the command's senders in the registry",
    adrs: ['0003', '0005', '0010'],
  }),
  rule({
    id: 'undeclared-consumer',
    severity: 'error',
    summary: 'Every consumer group, subscription and durable consumer is declared in the bus registry.',
    fix: "declare it: { service, group } in the topic's consumers, the service in the subject's subscribers, or { service, durable } in the stream's consumers",
    adrs: ['0003', '0005', '0010'],
  }),
  rule({
    id: 'wrong-bus',
    severity: 'error',
    summary:
      'Commands, signals and notifications go on the control bus, durable data on the data bus, payloads over 64 KiB never on the control bus.',
    fix: 'move the message to the bus its ADR 0005 row names (the row is in the message)',
    adrs: ['0005', '0010'],
  }),
  rule({
    id: 'lineage-job',
    severity: 'error',
    summary: 'Every data-bus publisher names its OpenLineage job.',
    fix: "pass { job: '<service>.<purpose>' } as the publisher's options; on an outbox record, name the job or leave it out",
    adrs: ['0003', '0010'],
  }),
  rule({
    id: 'no-cross-service-import',
    severity: 'error',
    summary: "No service or app imports another service's package or files.",
    fix: 'talk to the other service over the buses or Flight SQL; move shared code into a lib under libs/',
    adrs: ['0006', '0008', '0010'],
  }),
  rule({
    id: 'no-validated-mark',
    severity: 'error',
    summary:
      'Only the bus libraries mark a value as checked against its schema; no service or app imports the mark.',
    fix: "get a checked value from a publisher's validate() or from a consumer; never mark one yourself",
    adrs: ['0010', '0020'],
  }),
  rule({
    id: 'no-foreign-database',
    severity: 'error',
    summary: "No service opens another service's database; no two services share one.",
    fix: "read the other service's data from its bus topics or over Flight SQL; connect only through DATABASE_URL",
    adrs: ['0006', '0010'],
  }),
  rule({
    id: 'manifest',
    severity: 'error',
    summary:
      'Every service has a valid service.json naming its plane and an ADR that exists and is in force.',
    fix: 'fix services/<dir>/service.json: see libs/service-kit/src/manifest/manifest.ts for the schema',
    adrs: ['0001', '0010'],
  }),
  rule({
    id: 'registry',
    severity: 'error',
    summary: 'The bus registry passes validateRegistry: names, owners, consumers, limits and schemas.',
    fix: 'correct the registry entry the message names',
    adrs: ['0003', '0005', '0010'],
  }),
  rule({
    id: 'bus/unresolved-name',
    severity: 'warning',
    summary: 'A bus name in code is resolvable statically, so the other rules can check it.',
    fix: 'pass a registry definition (topics.x, subjects.y, streams.z) or a string literal',
    adrs: ['0010'],
    doc: 'unresolved-name.md',
  }),
];

const byId = new Map(RULES.map((r) => [r.id, r]));

/** The rule entry of a finding's rule id; `registry/<code>` maps to the `registry` entry. */
export function ruleOf(id: string): Rule {
  const found = byId.get(id.startsWith(REGISTRY_PREFIX) ? 'registry' : id);
  if (!found) throw new Error(`no rule ${id}`);
  return found;
}

/** The rule's doc page, relative to the repository root (SARIF helpUri, README links). */
export function docPath(id: string): string {
  return `tools/bus-lint/docs/rules/${ruleOf(id).doc}`;
}

/**
 * Does a `--rule`/`--ignore` selector pick this rule id? `registry` (or `registry/*`) picks every
 * registry code; anything else must match exactly.
 */
export function selects(selector: string, id: string): boolean {
  if (selector === 'registry' || selector === 'registry/*') return id.startsWith(REGISTRY_PREFIX);
  return selector === id;
}

export function isKnownSelector(selector: string): boolean {
  if (selector.startsWith(REGISTRY_PREFIX)) return selector.length > REGISTRY_PREFIX.length;
  return byId.has(selector);
}
