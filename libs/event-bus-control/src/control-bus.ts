import { type JetStreamClient, jetstream } from '@nats-io/jetstream';
import { type NatsConnection, errors as natsErrors } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import {
  BusError,
  BusErrorCode,
  type MessageHandler,
  type Registry,
  type StreamDef,
  type SubjectDef,
} from '@openfoundry/bus-registry';
import { z } from 'zod';
import { type ConsumeOptions, type ControlConsumer, DurableConsumer } from './consumer.ts';
import { assertOpen, type BusContext, type ControlBusLogger, stderrLogger } from './context.ts';
import { toBusError } from './errors.ts';
import { type ControlPublisher, SubjectPublisher } from './publisher.ts';
import { RegistryView } from './registry-view.ts';
import { answerRequest, type RequestHandler, type RequestInput, sendRequest } from './requests.ts';
import { subscriptionSubject, type Tokens } from './subjects.ts';
import { type ControlSubscription, CoreSubscription, deliverToHandler } from './subscription.ts';

export const controlBusOptionsSchema = z.object({
  /** The service this process is: it must own (or be a declared sender of) what it publishes. */
  service: z.string().min(1),
  /** `nats://host:port`, one or several. */
  servers: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  /** The service's own NATS user (OPENFOUNDRY_NATS_USER) and password. */
  user: z.string().min(1),
  password: z.string().min(1),
  /** Connection name shown in the server's monitoring; the service name by default. */
  name: z.string().optional(),
});

export type ControlBusOptions = z.input<typeof controlBusOptionsSchema> & {
  registry: Registry;
  logger?: ControlBusLogger;
};

export interface SubscribeOptions<T, P extends string> {
  /** Narrows the subscription; placeholders left out match any token. */
  tokens?: Partial<Tokens<P>>;
  handler: MessageHandler<T>;
}

/** Where this service's replies and pull-consumer deliveries arrive; its NATS user may read only these. */
const inboxPrefix = (service: string) => `_INBOX.${service}`;

/**
 * A service's connection to the control bus (NATS JetStream, ADR 0005): publishers for the subjects
 * it owns or sends, durable consumers declared for it, fan-out subscriptions and request/reply for
 * commands. Everything it is asked to do is checked against the registry first; the NATS client
 * stays inside this library.
 */
export class ControlBus {
  readonly service: string;
  readonly #nc: NatsConnection;
  readonly #context: BusContext;
  readonly #consumers = new Set<ControlConsumer>();
  readonly #subscriptions = new Set<CoreSubscription>();
  readonly #refusalWatchers = new Map<string, Set<(error: Error) => void>>();
  /** No new consumers or subscriptions; publishing still works so handlers in flight can finish. */
  #closing = false;
  #closed = false;
  #shutdown: Promise<void> | undefined;

  private constructor(options: {
    service: string;
    nc: NatsConnection;
    js: JetStreamClient;
    registry: Registry;
    logger: ControlBusLogger;
  }) {
    this.service = options.service;
    this.#nc = options.nc;
    this.#context = {
      service: options.service,
      nc: options.nc,
      js: options.js,
      view: new RegistryView(options.registry, options.service),
      logger: options.logger,
      isClosed: () => this.#closed,
      watchPublishRefusal: (subject) => this.#watchPublishRefusal(subject),
    };
    void this.#watchStatus();
  }

  /** Connects with the service's own credentials; a wrong password fails here as Unauthorized. */
  static async connect(options: ControlBusOptions): Promise<ControlBus> {
    const parsed = controlBusOptionsSchema.safeParse(options);
    if (!parsed.success) {
      throw new BusError(
        BusErrorCode.InvalidPayload,
        `invalid control bus options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
    const { service, servers, user, password, name } = parsed.data;
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers,
        user,
        pass: password,
        name: name ?? service,
        inboxPrefix: inboxPrefix(service),
        maxReconnectAttempts: -1,
        // By default nats.js captures a stack trace for every request (each publish, each confirmed
        // ack) in case it fails: profiled, about half the CPU of a publish. The BusError a failure
        // turns into still carries its own (async) stack from the call site in this library.
        noAsyncTraces: true,
      });
    } catch (error) {
      throw toBusError(error, `control bus: ${service} cannot connect to ${[servers].flat().join(',')}`);
    }
    return new ControlBus({
      service,
      nc,
      js: jetstream(nc),
      registry: options.registry,
      logger: options.logger ?? stderrLogger,
    });
  }

  async #watchStatus(): Promise<void> {
    const fields = { service: this.service };
    for await (const status of this.#nc.status()) {
      if (status.type === 'error') {
        const error = status.error;
        if (error instanceof natsErrors.PermissionViolationError && error.operation === 'publish') {
          for (const notify of this.#refusalWatchers.get(error.subject) ?? []) notify(error);
        }
        this.#context.logger.warn({ ...fields, err: error.message }, 'the NATS server reported an error');
      } else if (status.type === 'disconnect' || status.type === 'reconnect') {
        this.#context.logger.warn({ ...fields, server: status.server }, `control bus ${status.type}ed`);
      }
    }
  }

  #watchPublishRefusal(subject: string): () => Error | undefined {
    let refusal: Error | undefined;
    const notify = (error: Error) => {
      refusal = error;
    };
    const watchers = this.#refusalWatchers.get(subject) ?? new Set();
    watchers.add(notify);
    this.#refusalWatchers.set(subject, watchers);
    return () => {
      watchers.delete(notify);
      if (watchers.size === 0) this.#refusalWatchers.delete(subject);
      return refusal;
    };
  }

  /** The registry's definition of a subject; a BusError UnknownSubject when it has none. */
  /** Resolves when the server answers a round trip (a readiness check); fails once closed or cut off. */
  async ping(): Promise<void> {
    if (this.#closed) throw new BusError(BusErrorCode.Closed, 'the control bus is closed');
    try {
      await this.#nc.rtt();
    } catch (error) {
      throw toBusError(error, 'control bus ping');
    }
  }

  subject<T, P extends string, R>(subject: SubjectDef<T, P, R> | P): SubjectDef<T, P, R> {
    return this.#context.view.subject(subject);
  }

  /** A publisher for a subject this service owns, or a command it is a declared sender of. */
  publisher<T, P extends string, R = never>(subject: SubjectDef<T, P, R> | P): ControlPublisher<T, P> {
    assertOpen(this.#context, 'publisher');
    const def = this.#context.view.subject(subject);
    this.#context.view.assertPublisher(def);
    return new SubjectPublisher<T, P>(this.#context, def);
  }

  /** Starts a durable consumer declared for this service on a stream; resolves once it is pulling. */
  async consume<T = unknown>(
    stream: StreamDef | string,
    options: ConsumeOptions<T>,
  ): Promise<ControlConsumer> {
    this.#assertNotClosing('consume');
    const def = this.#context.view.stream(stream);
    const declared = this.#context.view.durable(def, options.durable);
    const consumer: DurableConsumer<T> = new DurableConsumer<T>(this.#context, def, declared, options, () =>
      this.#consumers.delete(consumer),
    );
    await consumer.start();
    this.#consumers.add(consumer);
    return consumer;
  }

  /**
   * Core-NATS fan-out: every subscriber gets every message, live only (nothing is replayed). The
   * service must be the subject's owner or a declared subscriber.
   */
  subscribe<T, P extends string, R = never>(
    subject: SubjectDef<T, P, R> | P,
    options: SubscribeOptions<T, P>,
  ): ControlSubscription {
    this.#assertNotClosing('subscribe');
    const def = this.#context.view.subject(subject);
    this.#context.view.assertSubscriber(def);
    const pattern = subscriptionSubject(def.name, options.tokens as Partial<Record<string, string>>);
    return this.#track(pattern, {
      concurrent: false,
      dispatch: (msg, sub) => deliverToHandler(this.#context, sub, def, msg, options.handler),
    });
  }

  /**
   * Answers a command this service owns. Instances of a service share the work: each request goes to
   * one of them (queue group = service name). `tokens` narrows what this instance answers, e.g. an
   * instance that answers only the commands addressed to it (`{ replica: 'r1' }`).
   */
  handle<T, P extends string, R>(
    subject: SubjectDef<T, P, R> | P,
    handler: RequestHandler<T, R>,
    options: { tokens?: Partial<Tokens<P>> } = {},
  ): ControlSubscription {
    this.#assertNotClosing('handle');
    const def = this.#context.view.subject(subject);
    this.#context.view.assertHandler(def);
    return this.#track(subscriptionSubject(def.name, options.tokens as Partial<Record<string, string>>), {
      queue: this.service,
      concurrent: true,
      dispatch: (msg, sub) => answerRequest(this.#context, sub, def, msg, handler),
    });
  }

  /** Sends a command and resolves with its handler's reply; a handler's error is rethrown as a BusError. */
  async request<T, P extends string, R>(
    subject: SubjectDef<T, P, R> | P,
    input: RequestInput<T, P>,
  ): Promise<R> {
    assertOpen(this.#context, 'request');
    const def = this.#context.view.subject(subject);
    this.#context.view.assertRequestable(def);
    return sendRequest(this.#context, def, input);
  }

  #track(
    pattern: string,
    options: Omit<ConstructorParameters<typeof CoreSubscription>[2], 'onClose'>,
  ): ControlSubscription {
    const subscription: CoreSubscription = new CoreSubscription(this.#context, pattern, {
      ...options,
      onClose: () => this.#subscriptions.delete(subscription),
    });
    this.#subscriptions.add(subscription);
    void subscription.ready.catch(() => this.#subscriptions.delete(subscription));
    return subscription;
  }

  #assertNotClosing(what: string): void {
    if (this.#closing) {
      throw new BusError(BusErrorCode.Closed, `${what}: the control bus of ${this.service} is closing`);
    }
  }

  /** Stops consumers and subscriptions (handlers in flight finish and ack), then closes the connection. */
  close(): Promise<void> {
    this.#shutdown ??= this.#close();
    return this.#shutdown;
  }

  async #close(): Promise<void> {
    this.#closing = true;
    await Promise.allSettled([...this.#consumers].map((c) => c.close()));
    await Promise.allSettled([...this.#subscriptions].map((s) => s.close()));
    this.#closed = true;
    await this.#nc.drain().catch(() => this.#nc.close());
  }
}
