import type { Registry, SubjectDef, TopicDef } from '@openfoundry/bus-registry';
import ts from 'typescript';
import { finding, positionOf } from '../finding.ts';
import { controlRow, dataRow, list, namesOfType, optionType, PackageOf, RegistryIndex } from './bus-calls.ts';
import { ownerName, type TypedFileContext } from './context.ts';

/** The package that declares the outbox entry types, and the types themselves (`OutboxEntry` is their union). */
export const OUTBOX_MODULE = '@openfoundry/service-kit';
const OUTBOX_TYPES: ReadonlySet<string> = new Set(['OutboxRecord', 'OutboxSignal']);

/** A file that writes to the outbox names one of these; a file without any has no entries to check. */
export const OUTBOX_MARKER = /\b(?:appendToOutbox|OutboxEntry|OutboxRecord|OutboxSignal)\b/;

/**
 * Outbox entries are publishes that happen later: the relay sends each one as the service that
 * wrote it. An object literal whose contextual or asserted type is `OutboxRecord`, `OutboxSignal`
 * or their union `OutboxEntry` (from `@openfoundry/service-kit`) is checked like a
 * `DataBus#publisher` or `ControlBus#publisher` call: the name comes from the type of its `topic`
 * or `subject` property.
 */
export class OutboxEntryChecker {
  readonly #index: RegistryIndex;
  readonly #packages = new PackageOf();

  constructor(registry: Registry) {
    this.#index = new RegistryIndex(registry);
  }

  check(ctx: TypedFileContext): void {
    if (!OUTBOX_MARKER.test(ctx.source.text)) return;
    const visit = (node: ts.Node) => {
      if (
        ts.isImportDeclaration(node) &&
        ts.isStringLiteral(node.moduleSpecifier) &&
        node.moduleSpecifier.text === OUTBOX_MODULE &&
        !ctx.checker.getSymbolAtLocation(node.moduleSpecifier)
      ) {
        // The entry types are recognised by their declarations; without them every entry would pass unchecked.
        ctx.report(
          finding(
            'bus/unresolved-name',
            ctx.relPath,
            positionOf(node.moduleSpecifier, ctx.source),
            `cannot resolve ${OUTBOX_MODULE}, so none of the outbox entries in this file can be checked`,
          ),
        );
      } else if (ts.isObjectLiteralExpression(node) && this.#isOutboxEntry(node, ctx.checker)) {
        new EntryCheck(ctx, this.#index, node).run();
      }
      ts.forEachChild(node, visit);
    };
    visit(ctx.source);
  }

  /** Is the type this literal must have (from a declaration, parameter, return type or `as`) an outbox entry? */
  #isOutboxEntry(literal: ts.ObjectLiteralExpression, checker: ts.TypeChecker): boolean {
    let type = checker.getContextualType(literal);
    if (type && type.flags & ts.TypeFlags.TypeParameter) type = checker.getBaseConstraintOfType(type);
    if (!type) return false;
    const members = type.isUnion() ? type.types : [type];
    return members.some((member) => this.#isOutboxType(member));
  }

  /** Decided by the declaration, not the name: a lookalike interface elsewhere is not the outbox's. */
  #isOutboxType(type: ts.Type): boolean {
    const symbol = type.getSymbol();
    if (!symbol || !OUTBOX_TYPES.has(symbol.getName())) return false;
    return (symbol.declarations ?? []).some(
      (d) => ts.isInterfaceDeclaration(d) && this.#packages.of(d) === OUTBOX_MODULE,
    );
  }
}

const RECORD = 'an OutboxRecord ({ topic, key, value })';
const SIGNAL = 'an OutboxSignal ({ subject, tokens, value })';

/** One outbox entry: a record for the data bus (`topic`), a signal for the control bus (`subject`). */
class EntryCheck {
  readonly #ctx: TypedFileContext;
  readonly #index: RegistryIndex;
  readonly #literal: ts.ObjectLiteralExpression;
  readonly #service: string;

  constructor(ctx: TypedFileContext, index: RegistryIndex, literal: ts.ObjectLiteralExpression) {
    this.#ctx = ctx;
    this.#index = index;
    this.#literal = literal;
    this.#service = ctx.service?.name ?? '';
  }

  run(): void {
    const topic = optionType(this.#ctx.checker, this.#literal, 'topic');
    const subject = optionType(this.#ctx.checker, this.#literal, 'subject');
    if (!topic && !subject) {
      this.#report(
        'bus/unresolved-name',
        this.#literal,
        'cannot tell where this outbox entry goes: it has neither a topic nor a subject',
      );
      return;
    }
    if (topic) {
      this.#lineageJob();
      for (const def of this.#topics(topic)) this.#record(def, topic.node);
    }
    if (subject) for (const def of this.#subjects(subject)) this.#signal(def, subject.node);
  }

  #report(rule: string, node: ts.Node, message: string) {
    this.#ctx.report(finding(rule, this.#ctx.relPath, positionOf(node, this.#ctx.source), message));
  }

  #names(property: { type: ts.Type; node: ts.Node }, what: 'topic' | 'subject'): string[] {
    const resolved = namesOfType(this.#ctx.checker, property.type, property.node);
    if ('unresolved' in resolved) {
      this.#report(
        'bus/unresolved-name',
        property.node,
        `cannot tell which ${what} this outbox entry goes to: its ${what} is ${resolved.unresolved}, not a literal name or a registry definition`,
      );
      return [];
    }
    return resolved.names;
  }

  #topics(property: { type: ts.Type; node: ts.Node }): TopicDef[] {
    return this.#names(property, 'topic').flatMap((name) => {
      const topic = this.#index.topics.get(name);
      if (topic) return [topic];
      const subject = this.#index.subjects(name)[0];
      if (subject) {
        this.#report(
          'wrong-bus',
          property.node,
          `${name} is a control-bus subject (${subject.kind}, ${controlRow(subject)}): write ${SIGNAL}, not an OutboxRecord`,
        );
      } else {
        this.#report('unknown-topic', property.node, `topic "${name}" is not declared in the bus registry`);
      }
      return [];
    });
  }

  #subjects(property: { type: ts.Type; node: ts.Node }): SubjectDef[] {
    return this.#names(property, 'subject').flatMap((name) => {
      const subjects = this.#index.subjects(name);
      if (subjects.length > 0) return subjects;
      const topic = this.#index.topics.get(name);
      if (topic) {
        this.#report(
          'wrong-bus',
          property.node,
          `${name} is a data-bus topic (${topic.kind}, ${dataRow(topic)}): write ${RECORD}, not an OutboxSignal`,
        );
      } else {
        this.#report(
          'unknown-subject',
          property.node,
          `subject "${name}" is not declared in the bus registry`,
        );
      }
      return [];
    });
  }

  #record(topic: TopicDef, node: ts.Node) {
    if (topic.kind === 'dead-letter') {
      this.#report(
        'wrong-bus',
        node,
        `${topic.name} is a dead-letter topic (${dataRow(topic)}): only the data bus writes the poison records of ${topic.deadLetterOf ?? 'its consumer group'} there, never an outbox record`,
      );
    }
    if (topic.owner === this.#service) return;
    this.#report(
      'not-owner',
      node,
      `${ownerName(this.#ctx)} publishes ${topic.name} through its outbox, which ${topic.owner} owns`,
    );
  }

  #signal(subject: SubjectDef, node: ts.Node) {
    if (subject.kind === 'live') {
      this.#report(
        'wrong-bus',
        node,
        `${subject.name} is a live fan-out subject (${controlRow(subject)}): it is fed only from Kafka by its forwarder, never from a service's outbox`,
      );
    }
    if (subject.owner === this.#service) return;
    if (subject.kind === 'command') {
      if (subject.senders.includes(this.#service)) return;
      this.#report(
        'not-owner',
        node,
        `${ownerName(this.#ctx)} sends the command ${subject.name} through its outbox, which only ${subject.owner} and its senders (${list(subject.senders)}) may send`,
      );
      return;
    }
    this.#report(
      'not-owner',
      node,
      `${ownerName(this.#ctx)} publishes ${subject.name} through its outbox, which ${subject.owner} owns`,
    );
  }

  /** The relay names the job `<service>.outbox` when it is absent or null; an empty one would reach the data bus as is. */
  #lineageJob() {
    const job = optionType(this.#ctx.checker, this.#literal, 'job');
    if (!job) return;
    if (job.type.isStringLiteral() && job.type.value.trim() === '') {
      this.#report(
        'lineage-job',
        job.node,
        'outbox record job is empty: name the OpenLineage job, or leave it out for <service>.outbox',
      );
    }
  }
}
