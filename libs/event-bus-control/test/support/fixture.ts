// Fixture registries for the integration tests: each test file gets its own run prefix, so its
// services (`ctl<hex>-a-service`, …), subjects and streams are unique on the shared nats-server,
// and its users live in their own provisioning scope.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  defineRegistry,
  payloadSchema,
  type Registry,
  type StreamConsumer,
  stream,
  subject,
  validateRegistry,
} from '@openfoundry/bus-registry';
import { CredentialStore, deprovisionNats, provisionNats } from '@openfoundry/bus-registry/provision/nats';
import { readPlatformEnv } from '@openfoundry/infra-local';
import { z } from 'zod';
import { ControlBus, type ControlBusLogger } from '../../src/index.ts';

export const newRun = () => `ctl${randomBytes(3).toString('hex')}`;

export const thingSchema = (run: string) =>
  payloadSchema(`${run}-a.thing-changed`, 1, z.object({ n: z.number().int(), note: z.string().optional() }));

/** The fixture registry of one run; deterministic, so a child process can rebuild it from `run`. */
export function controlRegistry(run: string) {
  const a = `${run}-a-service`;
  const b = `${run}-b-service`;
  const c = `${run}-c-service`;
  const streamName = `${run.toUpperCase()}_A`;
  const consumer = (durable: string, rest: Partial<StreamConsumer> = {}) => ({
    service: b,
    durable: `${run}-b-${durable}`,
    ...rest,
  });
  const subjects = {
    /** Stored signal, read by durable consumers and by fan-out subscribers. */
    changed: subject({
      name: `${run}-a.{tenant}.thing.changed`,
      owner: a,
      kind: 'signal',
      description: 'a thing changed',
      schema: thingSchema(run),
      stream: streamName,
      subscribers: [b, c],
      maxPayloadBytes: 1024,
    }),
    /** Stored, for the crash test only, so other tests' messages never reach its durable. */
    queued: subject({
      name: `${run}-a.{tenant}.job.queued`,
      owner: a,
      kind: 'signal',
      description: 'a job was queued',
      schema: payloadSchema(`${run}-a.job-queued`, 1, z.object({ n: z.number().int() })),
      stream: streamName,
    }),
    /** Core-only fan-out with two tokens. */
    reading: subject({
      name: `${run}-a.{tenant}.{asset}.reading`,
      owner: a,
      kind: 'notification',
      description: 'a reading',
      schema: payloadSchema(`${run}-a.reading`, 1, z.object({ asset: z.string(), value: z.number() })),
      subscribers: [b, c],
    }),
    /** A command with a reply, handled by a, sent by b. */
    start: subject({
      name: `${run}-a.{tenant}.connector.start`,
      owner: a,
      kind: 'command',
      description: 'start a connector',
      schema: payloadSchema(`${run}-a.connector-start`, 1, z.object({ connector: z.string() })),
      reply: payloadSchema(
        `${run}-a.connector-started`,
        1,
        z.object({ connector: z.string(), running: z.boolean() }),
      ),
      senders: [b],
    }),
    /** A command nobody handles. */
    stop: subject({
      name: `${run}-a.{tenant}.connector.stop`,
      owner: a,
      kind: 'command',
      description: 'stop a connector',
      schema: payloadSchema(`${run}-a.connector-stop`, 1, z.object({ connector: z.string() })),
      senders: [b],
    }),
  };
  const streams = {
    things: stream({
      name: streamName,
      owner: a,
      description: 'fixture signals',
      consumers: [
        consumer('things', {
          filterSubject: subjects.changed.name,
          ackWaitMs: 5_000,
          maxDeliver: 3,
          backoffMs: [100, 200],
        }),
        consumer('jobs', {
          filterSubject: subjects.queued.name,
          ackWaitMs: 1_500,
          maxDeliver: 5,
          backoffMs: [100],
        }),
      ],
    }),
  };
  const registry: Registry = defineRegistry({
    topics: [],
    subjects: Object.values(subjects),
    streams: Object.values(streams),
  });
  return { run, a, b, c, services: [a, b, c], streamName, subjects, streams, registry };
}

export type ControlFixture = ReturnType<typeof controlRegistry>;

const credentials = new CredentialStore();
const env = () => readPlatformEnv();

export async function provisionFixture(run = newRun()): Promise<ControlFixture> {
  const fixture = controlRegistry(run);
  const issues = validateRegistry(fixture.registry, fixture.services);
  if (issues.length > 0) throw new Error(`fixture registry is invalid: ${JSON.stringify(issues)}`);
  await provisionNats(fixture.registry, { scope: run, services: fixture.services, credentials });
  return fixture;
}

export const teardownFixture = (fixture: ControlFixture) =>
  deprovisionNats(fixture.run, { registry: fixture.registry });

export const natsUrl = () => env().OPENFOUNDRY_NATS_URL;
export const admin = () => ({
  user: env().OPENFOUNDRY_NATS_ADMIN_USER,
  pass: env().OPENFOUNDRY_NATS_ADMIN_PASSWORD,
});
export const credentialsOf = (service: string) => credentials.get(service).nats;

/** Log lines kept in memory, so tests can check what was logged. */
export function memoryLogger() {
  const lines: { level: 'info' | 'warn' | 'error'; fields: Record<string, unknown>; message: string }[] = [];
  const logger: ControlBusLogger = {
    info: (fields, message) => lines.push({ level: 'info', fields, message }),
    warn: (fields, message) => lines.push({ level: 'warn', fields, message }),
    error: (fields, message) => lines.push({ level: 'error', fields, message }),
  };
  return { logger, lines };
}

export async function connectAs(
  fixture: ControlFixture,
  service: string,
  options: { registry?: Registry; logger?: ControlBusLogger; password?: string } = {},
): Promise<ControlBus> {
  const { user, password } = credentialsOf(service);
  return ControlBus.connect({
    service,
    servers: natsUrl(),
    user,
    password: options.password ?? password,
    registry: options.registry ?? fixture.registry,
    logger: options.logger ?? memoryLogger().logger,
  });
}

/** Polls until `check` returns a value other than undefined; fails naming `what` after the deadline. */
export async function until<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}
