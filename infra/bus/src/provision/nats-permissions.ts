import type { Registry } from '../model.ts';
import { subjectWildcard } from '../naming.ts';

/** A user's `permissions` block in nats-server's configuration. */
export interface NatsPermissions {
  /** `deny: ['>']` when there is nothing to allow: nats-server reads an empty allow list as "anything". */
  publish: { allow: string[] } | { deny: ['>'] };
  subscribe: { allow: string[] };
  /** Lets a command handler answer on the requester's reply subject, and only there. */
  allow_responses?: { max: number; expires: string };
}

/** Where a service's replies and JetStream acks arrive; the library sets it as its inbox prefix. */
export function inboxPrefix(service: string): string {
  return `_INBOX.${service}`;
}

/**
 * The JetStream API subjects a client needs to read one durable pull consumer: look it up, pull
 * messages, and ack/nak/term them. Found by tracing what the @nats-io/jetstream v3 client sends;
 * stream and consumer administration stays with the provisioning user.
 */
export function durableConsumerSubjects(stream: string, durable: string): string[] {
  return [
    `$JS.API.CONSUMER.INFO.${stream}.${durable}`,
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.${durable}`,
    `$JS.ACK.${stream}.${durable}.>`,
  ];
}

/** How long a handler's permission to answer one request lasts; requesters give up long before. */
const RESPONSE_WINDOW = '1m';

/**
 * The NATS permissions a service gets from the registry (ADR 0005 "Identity"). Publish: the subjects
 * it owns and the commands it may send. Subscribe: the subjects it owns (a command's owner is its
 * handler), the subjects it is a declared subscriber of, and its own inbox. JetStream: only the
 * calls that read its declared durable consumers. Everything else is refused by the server.
 */
export function natsPermissions(registry: Registry, service: string): NatsPermissions {
  const owned = registry.subjects.filter((s) => s.owner === service);
  const sent = registry.subjects.filter((s) => s.kind === 'command' && s.senders.includes(service));
  const subscribed = registry.subjects.filter((s) => s.subscribers.includes(service));
  const durables = registry.streams.flatMap((st) =>
    st.consumers.filter((c) => c.service === service).map((c) => durableConsumerSubjects(st.name, c.durable)),
  );
  const publish = [...owned, ...sent].map((s) => subjectWildcard(s.name));
  const subscribe = [...owned, ...subscribed].map((s) => subjectWildcard(s.name));
  const allowed = sorted([...publish, ...durables.flat()]);
  const permissions: NatsPermissions = {
    publish: allowed.length > 0 ? { allow: allowed } : { deny: ['>'] },
    subscribe: { allow: sorted([...subscribe, `${inboxPrefix(service)}.>`]) },
  };
  if (owned.some((s) => s.kind === 'command')) {
    permissions.allow_responses = { max: 1, expires: RESPONSE_WINDOW };
  }
  return permissions;
}

/** Every service a registry gives a NATS user: subject owners, senders, subscribers and consumers. */
export function natsServices(registry: Registry): string[] {
  const names = new Set<string>();
  for (const s of registry.subjects) {
    names.add(s.owner);
    for (const name of [...s.senders, ...s.subscribers]) names.add(name);
  }
  for (const st of registry.streams) for (const c of st.consumers) names.add(c.service);
  return [...names].sort();
}

const sorted = (values: string[]) => [...new Set(values)].sort();
