import { dirname } from 'node:path';
import {
  CONTROL_KINDS,
  DATA_KINDS,
  type Registry,
  type StreamDef,
  type SubjectDef,
  subjectMatches,
  subjectWildcard,
  type TopicDef,
} from '@openfoundry/bus-registry';
import ts from 'typescript';
import { finding, positionOf } from '../finding.ts';
import { readPackageJson } from '../workspace.ts';
import { ownerName, type TypedFileContext } from './context.ts';

type Bus = 'data' | 'control';

/** The classes whose calls are checked, and the package each must come from. */
const BUS_CLASSES: Readonly<Record<string, { bus: Bus; module: string }>> = {
  DataBus: { bus: 'data', module: '@openfoundry/event-bus-data' },
  ControlBus: { bus: 'control', module: '@openfoundry/event-bus-control' },
};

export const dataRow = (t: TopicDef) => `ADR 0005 row ${DATA_KINDS[t.kind] ?? '?'}`;
export const controlRow = (s: SubjectDef) => `ADR 0005 row ${CONTROL_KINDS[s.kind] ?? '?'}`;
export const list = (names: readonly string[]) => (names.length > 0 ? names.join(', ') : 'none');

/** Registry lookups shared by every file of one run. */
export class RegistryIndex {
  readonly topics: ReadonlyMap<string, TopicDef>;
  readonly streams: ReadonlyMap<string, StreamDef>;
  readonly #subjects: readonly SubjectDef[];

  constructor(registry: Registry) {
    this.topics = new Map(registry.topics.map((t) => [t.name, t]));
    this.streams = new Map(registry.streams.map((s) => [s.name, s]));
    this.#subjects = registry.subjects;
  }

  /**
   * The subjects a name stands for: its own template, or the templates a concrete subject or a
   * narrower or wider pattern overlaps (`tenancy.acme.tenant.changed`, `tenancy.*.tenant.changed`).
   */
  subjects(name: string): SubjectDef[] {
    const exact = this.#subjects.filter((s) => s.name === name);
    if (exact.length > 0) return exact;
    const pattern = subjectWildcard(name);
    return this.#subjects.filter((s) => {
      const declared = subjectWildcard(s.name);
      return subjectMatches(declared, pattern) || subjectMatches(pattern, declared);
    });
  }
}

/** Which package a declaration comes from: its `declare module '…'` block or nearest package.json. */
export class PackageOf {
  readonly #byDir = new Map<string, string | undefined>();

  of(node: ts.Node): string | undefined {
    for (let n: ts.Node | undefined = node; n; n = n.parent) {
      if (ts.isModuleDeclaration(n) && ts.isStringLiteral(n.name)) return n.name.text;
    }
    return this.#dir(dirname(node.getSourceFile().fileName));
  }

  #dir(dir: string): string | undefined {
    if (this.#byDir.has(dir)) return this.#byDir.get(dir);
    const pkg = readPackageJson(dir);
    const parent = dirname(dir);
    const name = pkg
      ? typeof pkg.name === 'string'
        ? pkg.name
        : undefined
      : parent === dir
        ? undefined
        : this.#dir(parent);
    this.#byDir.set(dir, name);
    return name;
  }
}

export class BusCallChecker {
  readonly #index: RegistryIndex;
  readonly #packages = new PackageOf();

  constructor(registry: Registry) {
    this.#index = new RegistryIndex(registry);
  }

  check(ctx: TypedFileContext): void {
    const libraries = new Set(Object.values(BUS_CLASSES).map((c) => c.module));
    const visit = (node: ts.Node) => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        // Calls are recognised by their declarations; without them every call would pass unchecked.
        if (
          libraries.has(node.moduleSpecifier.text) &&
          !ctx.checker.getSymbolAtLocation(node.moduleSpecifier)
        ) {
          ctx.report(
            finding(
              'bus/unresolved-name',
              ctx.relPath,
              positionOf(node.moduleSpecifier, ctx.source),
              `cannot resolve ${node.moduleSpecifier.text}, so none of its calls in this file can be checked`,
            ),
          );
        }
      } else if (ts.isCallExpression(node)) {
        const call = this.#busCall(node, ctx.checker);
        if (call) new CallCheck(ctx, this.#index, node, call.bus, call.method).run();
      }
      ts.forEachChild(node, visit);
    };
    visit(ctx.source);
  }

  /** Is this `x.method(…)` a method of the bus libraries' DataBus or ControlBus? Decided by the declaration, not the name. */
  #busCall(call: ts.CallExpression, checker: ts.TypeChecker): { bus: Bus; method: string } | undefined {
    if (!ts.isPropertyAccessExpression(call.expression)) return undefined;
    const symbol = checker.getSymbolAtLocation(call.expression.name);
    for (const declaration of symbol?.declarations ?? []) {
      const owner = declaration.parent;
      if (!(ts.isClassDeclaration(owner) || ts.isInterfaceDeclaration(owner)) || !owner.name) continue;
      const expected = BUS_CLASSES[owner.name.text];
      if (expected && this.#packages.of(owner) === expected.module) {
        return { bus: expected.bus, method: call.expression.name.text };
      }
    }
    return undefined;
  }
}

export type Resolved = { names: string[] } | { unresolved: string };

class CallCheck {
  readonly #ctx: TypedFileContext;
  readonly #index: RegistryIndex;
  readonly #call: ts.CallExpression;
  readonly #bus: Bus;
  readonly #method: string;
  readonly #service: string;

  constructor(
    ctx: TypedFileContext,
    index: RegistryIndex,
    call: ts.CallExpression,
    bus: Bus,
    method: string,
  ) {
    this.#ctx = ctx;
    this.#index = index;
    this.#call = call;
    this.#bus = bus;
    this.#method = method;
    this.#service = ctx.service?.name ?? '';
  }

  run(): void {
    if (this.#bus === 'data') {
      if (this.#method === 'publisher') {
        this.#lineageJob();
        for (const topic of this.#topics()) this.#publishTopic(topic);
      } else if (this.#method === 'consume') {
        const topics = this.#topics();
        if (topics.length > 0) {
          const group = this.#option('group', 'consumer group');
          for (const topic of topics) if (group !== undefined) this.#consumeTopic(topic, group);
        }
      }
      return;
    }
    switch (this.#method) {
      case 'publisher':
      case 'request':
        for (const subject of this.#subjects()) this.#publishSubject(subject);
        return;
      case 'handle':
        for (const subject of this.#subjects()) this.#handleSubject(subject);
        return;
      case 'subscribe':
        for (const subject of this.#subjects()) this.#subscribeSubject(subject);
        return;
      case 'consume': {
        const streams = this.#streams();
        if (streams.length > 0) {
          const durable = this.#option('durable', 'durable consumer');
          for (const stream of streams) if (durable !== undefined) this.#consumeStream(stream, durable);
        }
      }
    }
  }

  #report(rule: string, node: ts.Node, message: string) {
    this.#ctx.report(finding(rule, this.#ctx.relPath, positionOf(node, this.#ctx.source), message));
  }

  get #where(): ts.Node {
    return this.#call.arguments[0] ?? this.#call;
  }

  get #label(): string {
    return `${this.#bus === 'data' ? 'DataBus' : 'ControlBus'}#${this.#method}`;
  }

  /** The first argument's name(s); a warning and nothing to check when they are not static. */
  #names(what: string): string[] {
    const arg = this.#call.arguments[0];
    if (!arg) {
      this.#report('bus/unresolved-name', this.#call, `${this.#label} is called without a ${what}`);
      return [];
    }
    const resolved = namesOfType(this.#ctx.checker, this.#ctx.checker.getTypeAtLocation(arg), arg);
    if ('unresolved' in resolved) {
      this.#report(
        'bus/unresolved-name',
        arg,
        `cannot tell which ${what} ${this.#label} uses: its type is ${resolved.unresolved}, not a literal name or a registry definition`,
      );
      return [];
    }
    return resolved.names;
  }

  #topics(): TopicDef[] {
    return this.#names('topic').flatMap((name) => {
      const topic = this.#index.topics.get(name);
      if (topic) return [topic];
      const subject = this.#index.subjects(name)[0];
      if (subject) {
        this.#report(
          'wrong-bus',
          this.#where,
          `${name} is a control-bus subject (${subject.kind}, ${controlRow(subject)}): use ControlBus, not DataBus`,
        );
      } else {
        this.#report('unknown-topic', this.#where, `topic "${name}" is not declared in the bus registry`);
      }
      return [];
    });
  }

  #subjects(): SubjectDef[] {
    return this.#names('subject').flatMap((name) => {
      const subjects = this.#index.subjects(name);
      if (subjects.length > 0) return subjects;
      const topic = this.#index.topics.get(name);
      if (topic) {
        this.#report(
          'wrong-bus',
          this.#where,
          `${name} is a data-bus topic (${topic.kind}, ${dataRow(topic)}): use DataBus, not ControlBus`,
        );
      } else {
        this.#report('unknown-subject', this.#where, `subject "${name}" is not declared in the bus registry`);
      }
      return [];
    });
  }

  #streams(): StreamDef[] {
    return this.#names('stream').flatMap((name) => {
      const stream = this.#index.streams.get(name);
      if (stream) return [stream];
      this.#report('unknown-stream', this.#where, `stream "${name}" is not declared in the bus registry`);
      return [];
    });
  }

  /** A string-literal option (`group`, `durable`) of the second argument; a warning when it is not static. */
  #option(property: string, what: string): string | undefined {
    const options = this.#call.arguments[1];
    const found = options ? optionType(this.#ctx.checker, options, property) : undefined;
    if (!options || !found) {
      this.#report(
        'bus/unresolved-name',
        options ?? this.#call,
        `${this.#label} is called without a ${what} (${property})`,
      );
      return undefined;
    }
    if (found.type.isStringLiteral()) return found.type.value;
    this.#report(
      'bus/unresolved-name',
      found.node,
      `cannot tell which ${what} ${this.#label} uses: ${property} is ${this.#ctx.checker.typeToString(found.type)}, not a string literal`,
    );
    return undefined;
  }

  #lineageJob() {
    const options = this.#call.arguments[1];
    if (!options) {
      this.#report(
        'lineage-job',
        this.#call.expression,
        `${this.#label} has no options: name the OpenLineage job, { job }`,
      );
      return;
    }
    const checker = this.#ctx.checker;
    const job = optionType(checker, options, 'job');
    if (!job) {
      this.#report('lineage-job', options, `${this.#label} options have no job: name the OpenLineage job`);
      return;
    }
    const empty = job.type.isStringLiteral() && job.type.value.trim() === '';
    const nothing = (job.type.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)) !== 0;
    if (empty || nothing) {
      this.#report(
        'lineage-job',
        job.node,
        `${this.#label} job is ${empty ? 'empty' : checker.typeToString(job.type)}: name the OpenLineage job`,
      );
    }
  }

  #publishTopic(topic: TopicDef) {
    if (topic.owner === this.#service) return;
    this.#report(
      'not-owner',
      this.#where,
      `${ownerName(this.#ctx)} publishes ${topic.name}, which ${topic.owner} owns`,
    );
  }

  #consumeTopic(topic: TopicDef, group: string) {
    if (topic.consumers.some((c) => c.service === this.#service && c.group === group)) return;
    const declared = topic.consumers.filter((c) => c.service === this.#service).map((c) => c.group);
    this.#report(
      'undeclared-consumer',
      this.#where,
      `${ownerName(this.#ctx)} consumes ${topic.name} as group ${group}, which the registry does not declare (its groups there: ${list(declared)})`,
    );
  }

  #publishSubject(subject: SubjectDef) {
    if (subject.owner === this.#service) return;
    if (subject.kind === 'command') {
      if (subject.senders.includes(this.#service)) return;
      this.#report(
        'not-owner',
        this.#where,
        `${ownerName(this.#ctx)} sends the command ${subject.name}, which only ${subject.owner} and its senders (${list(subject.senders)}) may send`,
      );
      return;
    }
    this.#report(
      'not-owner',
      this.#where,
      `${ownerName(this.#ctx)} publishes ${subject.name}, which ${subject.owner} owns`,
    );
  }

  #handleSubject(subject: SubjectDef) {
    if (subject.owner === this.#service) return;
    this.#report(
      'not-owner',
      this.#where,
      `${ownerName(this.#ctx)} handles ${subject.name}: a command has one handler, its owner ${subject.owner}`,
    );
  }

  #subscribeSubject(subject: SubjectDef) {
    if (subject.owner === this.#service || subject.subscribers.includes(this.#service)) return;
    this.#report(
      'undeclared-consumer',
      this.#where,
      `${ownerName(this.#ctx)} subscribes to ${subject.name} but is neither its owner (${subject.owner}) nor a declared subscriber (${list(subject.subscribers)})`,
    );
  }

  #consumeStream(stream: StreamDef, durable: string) {
    if (stream.consumers.some((c) => c.service === this.#service && c.durable === durable)) return;
    const declared = stream.consumers.filter((c) => c.service === this.#service).map((c) => c.durable);
    this.#report(
      'undeclared-consumer',
      this.#where,
      `${ownerName(this.#ctx)} consumes stream ${stream.name} as durable ${durable}, which the registry does not declare (its durables there: ${list(declared)})`,
    );
  }
}

/**
 * The bus name(s) a type carries: a string literal type is the name; a registry definition
 * (`TopicDef<T, 'tenancy.tenant-state.v1'>`) carries it as the literal type of `name`; a union
 * carries each member's.
 */
export function namesOfType(checker: ts.TypeChecker, type: ts.Type, at: ts.Node): Resolved {
  if (type.isUnion()) {
    const names: string[] = [];
    for (const member of type.types) {
      const resolved = namesOfType(checker, member, at);
      if ('unresolved' in resolved) return { unresolved: checker.typeToString(type) };
      names.push(...resolved.names);
    }
    return { names: [...new Set(names)] };
  }
  if (type.isStringLiteral()) return { names: [type.value] };
  const name = type.getProperty('name');
  if (name && !(type.flags & ts.TypeFlags.StringLike)) {
    const nameType = checker.getTypeOfSymbolAtLocation(name, at);
    if (nameType.isStringLiteral()) return { names: [nameType.value] };
    if (nameType.isUnion() && nameType.types.every((t) => t.isStringLiteral())) {
      return { names: nameType.types.map((t) => (t as ts.StringLiteralType).value) };
    }
  }
  return { unresolved: checker.typeToString(type) };
}

/**
 * The type of one option, or of one property of an outbox entry. An object literal's own initializer keeps its literal type
 * (`{ group: 'x' }` is `"x"` there, widened to string on the object's type).
 */
export function optionType(
  checker: ts.TypeChecker,
  options: ts.Expression,
  name: string,
): { type: ts.Type; node: ts.Node } | undefined {
  if (ts.isObjectLiteralExpression(options)) {
    const prop = options.properties.find((p) => p.name && propertyNameText(p.name) === name);
    if (prop && ts.isPropertyAssignment(prop)) {
      return { type: checker.getTypeAtLocation(prop.initializer), node: prop };
    }
    if (prop && ts.isShorthandPropertyAssignment(prop)) {
      const value = checker.getShorthandAssignmentValueSymbol(prop);
      return {
        type: value ? checker.getTypeOfSymbolAtLocation(value, prop) : checker.getTypeAtLocation(prop.name),
        node: prop,
      };
    }
  }
  const symbol = checker.getTypeAtLocation(options).getProperty(name);
  return symbol ? { type: checker.getTypeOfSymbolAtLocation(symbol, options), node: options } : undefined;
}

function propertyNameText(name: ts.PropertyName): string | undefined {
  return ts.isIdentifier(name) || ts.isStringLiteralLike(name) ? name.text : undefined;
}
