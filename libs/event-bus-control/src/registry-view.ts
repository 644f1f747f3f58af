import {
  BusError,
  BusErrorCode,
  type Registry,
  type StreamConsumer,
  type StreamDef,
  type SubjectDef,
  subjectMatches,
  subjectWildcard,
} from '@openfoundry/bus-registry';

const RESOLVED_LIMIT = 4_096;

/**
 * What one service may do with the control-bus part of a registry. Every check here mirrors a NATS
 * permission that provisioning generates from the same registry, so a call is refused in the process
 * with a clear reason before the server would refuse it with a terse one.
 */
export class RegistryView {
  readonly service: string;
  readonly #registry: Registry;
  /** Each subject with its wildcard pattern, worked out once: consumers look one up per message. */
  readonly #patterns: readonly { def: SubjectDef; pattern: string }[];
  /** `subjectOf` answers by stream and concrete subject; bounded, as tokens (tenants…) are open-ended. */
  readonly #resolved = new Map<string, SubjectDef | undefined>();

  constructor(registry: Registry, service: string) {
    this.#registry = registry;
    this.service = service;
    this.#patterns = registry.subjects.map((def) => ({ def, pattern: subjectWildcard(def.name) }));
  }

  subject<T, P extends string, R>(subject: SubjectDef<T, P, R> | P): SubjectDef<T, P, R> {
    const name = typeof subject === 'string' ? subject : subject.name;
    const found = this.#registry.subjects.find((s) => s.name === name);
    if (!found) {
      throw new BusError(
        BusErrorCode.UnknownSubject,
        `subject ${name} is not in the bus registry: declare it in infra/bus before using it`,
        { subject: name },
      );
    }
    return found as SubjectDef<T, P, R>;
  }

  stream(stream: StreamDef | string): StreamDef {
    const name = typeof stream === 'string' ? stream : stream.name;
    const found = this.#registry.streams.find((s) => s.name === name);
    if (!found) {
      throw new BusError(
        BusErrorCode.UnknownStream,
        `stream ${name} is not in the bus registry: declare it in infra/bus before using it`,
        { stream: name },
      );
    }
    return found;
  }

  /** The owner publishes; a command's declared senders publish (request) it too. */
  assertPublisher(subject: SubjectDef): void {
    if (subject.owner === this.service) return;
    if (subject.kind === 'command' && subject.senders.includes(this.service)) return;
    const who =
      subject.kind === 'command'
        ? `its owner ${subject.owner} and its senders`
        : `its owner ${subject.owner}`;
    throw new BusError(
      BusErrorCode.NotOwner,
      `${this.service} may not publish ${subject.name}: only ${who} may${subject.kind === 'command' ? ` (senders: ${subject.senders.join(', ') || 'none'})` : ''}`,
      { subject: subject.name, service: this.service, owner: subject.owner },
    );
  }

  /** Fan-out subscribers are declared on the subject; the owner may always listen to its own. */
  assertSubscriber(subject: SubjectDef): void {
    if (subject.owner === this.service || subject.subscribers.includes(this.service)) return;
    throw new BusError(
      BusErrorCode.NotDeclared,
      `${this.service} is not a declared subscriber of ${subject.name} (subscribers: ${subject.subscribers.join(', ') || 'none'})`,
      { subject: subject.name, service: this.service },
    );
  }

  /** A command has one handler, its owner. */
  assertHandler(subject: SubjectDef): void {
    if (subject.kind !== 'command') {
      throw new BusError(
        BusErrorCode.NotDeclared,
        `${subject.name} is a ${subject.kind}, not a command: only commands have handlers that reply`,
        { subject: subject.name },
      );
    }
    if (subject.owner !== this.service) {
      throw new BusError(
        BusErrorCode.NotOwner,
        `${this.service} may not handle ${subject.name}: its handler is its owner ${subject.owner}`,
        { subject: subject.name, service: this.service, owner: subject.owner },
      );
    }
  }

  /** A request goes to a command's handler right now, so it must not also be stored in a stream. */
  assertRequestable(subject: SubjectDef): void {
    if (subject.kind !== 'command') {
      throw new BusError(
        BusErrorCode.NotDeclared,
        `${subject.name} is a ${subject.kind}, not a command: publish it instead of requesting it`,
        { subject: subject.name },
      );
    }
    if (subject.stream !== undefined) {
      throw new BusError(
        BusErrorCode.NotDeclared,
        `${subject.name} is stored in stream ${subject.stream}: publish it and report the outcome as a signal (ADR 0005)`,
        { subject: subject.name, stream: subject.stream },
      );
    }
    this.assertPublisher(subject);
  }

  /** The durable consumer `durable` of a stream, which must be declared for this service. */
  durable(stream: StreamDef, durable: string): StreamConsumer {
    const found = stream.consumers.find((c) => c.durable === durable);
    if (!found) {
      throw new BusError(
        BusErrorCode.NotDeclared,
        `durable consumer ${durable} is not declared on stream ${stream.name} (declared: ${stream.consumers.map((c) => c.durable).join(', ') || 'none'})`,
        { stream: stream.name, durable },
      );
    }
    if (found.service !== this.service) {
      throw new BusError(
        BusErrorCode.NotDeclared,
        `durable consumer ${durable} of stream ${stream.name} belongs to ${found.service}, not ${this.service}`,
        { stream: stream.name, durable, service: this.service },
      );
    }
    return found;
  }

  /** The registry subject a concrete subject stored in a stream belongs to. */
  subjectOf(concrete: string, stream?: string): SubjectDef | undefined {
    const key = stream === undefined ? concrete : `${stream} ${concrete}`;
    if (this.#resolved.has(key)) return this.#resolved.get(key);
    const found = this.#patterns.find(
      ({ def, pattern }) =>
        (stream === undefined || def.stream === stream) && subjectMatches(pattern, concrete),
    )?.def;
    if (this.#resolved.size >= RESOLVED_LIMIT) this.#resolved.clear();
    this.#resolved.set(key, found);
    return found;
  }
}
