import { serviceManifests } from '@openfoundry/infra-local';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  defineRegistry,
  type PayloadSchema,
  payloadSchema,
  type Registry,
  stream,
  subject,
  topic,
} from './model.ts';
import { platformRegistry } from './platform.ts';
import { validateRegistry } from './validate.ts';

const schema = payloadSchema('a.thing', 1, z.object({ id: z.string() }));
const services = ['a-service', 'b-service'];

function registry(parts: Partial<Registry>): Registry {
  return defineRegistry({ topics: [], subjects: [], streams: [], ...parts });
}
const codes = (r: Registry) => validateRegistry(r, services).map((i) => `${i.code} ${i.path}`);

describe(validateRegistry.name, () => {
  it('accepts the platform registry with the services that exist', () => {
    const services = serviceManifests().map((m) => m.name);
    expect(services).toContain('connector-service');
    expect(validateRegistry(platformRegistry, services)).toEqual([]);
  });

  it('checks a repeat rule: a window in range and an id field the schema has', () => {
    const withRule = (repeats: { idField: string; window: number }) =>
      registry({
        topics: [
          topic({
            name: 'a.things.v1',
            owner: 'a-service',
            kind: 'telemetry',
            description: 'x',
            schema,
            repeats,
          }),
        ],
      });
    expect(codes(withRule({ idField: 'id', window: 1000 }))).toEqual([]);
    expect(codes(withRule({ idField: 'id', window: 0 }))).toEqual([
      'bad-limit topics[a.things.v1].repeats.window',
    ]);
    expect(codes(withRule({ idField: 'id', window: 2.5 }))).toEqual([
      'bad-limit topics[a.things.v1].repeats.window',
    ]);
    expect(codes(withRule({ idField: 'eventId', window: 10 }))).toEqual([
      'bad-schema topics[a.things.v1].repeats.idField',
    ]);
  });

  it('accepts a well-formed registry of both buses', () => {
    const r = registry({
      topics: [
        topic({
          name: 'a.things.v1',
          owner: 'a-service',
          kind: 'state-change',
          description: 'x',
          schema,
          consumers: [{ service: 'b-service', group: 'b-service.things' }],
        }),
      ],
      streams: [
        stream({
          name: 'A',
          owner: 'a-service',
          description: 'x',
          consumers: [{ service: 'b-service', durable: 'b-things' }],
        }),
      ],
      subjects: [
        subject({
          name: 'a.{tenant}.thing.changed',
          owner: 'a-service',
          kind: 'signal',
          description: 'x',
          schema,
          stream: 'A',
        }),
        subject({
          name: 'a.{tenant}.thing.do',
          owner: 'a-service',
          kind: 'command',
          description: 'x',
          schema,
          senders: ['b-service'],
        }),
      ],
    });
    expect(codes(r)).toEqual([]);
    // The consumer's dead-letter topic was added, owned by the consumer.
    expect(r.topics.map((t) => [t.name, t.owner])).toContainEqual(['b.dlq.things', 'b-service']);
  });

  it('names an unknown owner and lists the services that exist', () => {
    const issues = validateRegistry(
      registry({
        topics: [
          topic({ name: 'ghost.x', owner: 'ghost-service', kind: 'telemetry', description: 'x', schema }),
        ],
      }),
      services,
    );
    expect(issues[0]).toMatchObject({ code: 'unknown-owner', path: 'topics[ghost.x].owner' });
    expect(issues[0]?.message).toContain('known: a-service, b-service');
  });

  it('reports duplicate names', () => {
    const t = topic({ name: 'a.x', owner: 'a-service', kind: 'telemetry', description: 'x', schema });
    expect(codes(registry({ topics: [t, t] }))).toContain('duplicate-name topics[a.x]');
  });

  it('reports a missing schema', () => {
    const t = topic({
      name: 'a.x',
      owner: 'a-service',
      kind: 'telemetry',
      description: 'x',
      schema: undefined as unknown as PayloadSchema,
    });
    expect(codes(registry({ topics: [t] }))).toContain('missing-schema topics[a.x].schema');
  });

  it('puts control-shaped kinds on the wrong bus, citing the ADR row', () => {
    const t = topic({
      name: 'a.x',
      owner: 'a-service',
      kind: 'command' as 'telemetry',
      description: 'x',
      schema,
    });
    const s = subject({
      name: 'a.y',
      owner: 'a-service',
      kind: 'state-change' as 'signal',
      description: 'x',
      schema,
    });
    const issues = validateRegistry(registry({ topics: [t], subjects: [s] }), services);
    expect(issues.filter((i) => i.code === 'wrong-bus').map((i) => i.message)).toEqual([
      expect.stringContaining('ADR 0005 row C1'),
      expect.stringContaining('ADR 0005 row D2'),
    ]);
  });

  it('keeps control payloads at or under 64 KiB', () => {
    const s = subject({
      name: 'a.y',
      owner: 'a-service',
      kind: 'signal',
      description: 'x',
      schema,
      maxPayloadBytes: 70_000,
    });
    expect(codes(registry({ subjects: [s] }))).toContain('wrong-bus subjects[a.y].maxPayloadBytes');
  });

  it('requires names to start with the owner domain', () => {
    const t = topic({ name: 'b.x', owner: 'a-service', kind: 'telemetry', description: 'x', schema });
    const s = subject({ name: 'b.y', owner: 'a-service', kind: 'signal', description: 'x', schema });
    expect(codes(registry({ topics: [t], subjects: [s] }))).toEqual([
      'name-prefix topics[b.x]',
      'name-prefix subjects[b.y]',
    ]);
  });

  it('checks consumer groups, stream references, senders and backoff', () => {
    const r = registry({
      topics: [
        topic({
          name: 'a.x',
          owner: 'a-service',
          kind: 'telemetry',
          description: 'x',
          schema,
          consumers: [{ service: 'b-service', group: 'wrong.group' }],
        }),
      ],
      streams: [
        stream({
          name: 'A',
          owner: 'a-service',
          description: 'x',
          consumers: [{ service: 'b-service', durable: 'b-d', maxDeliver: 2, backoffMs: [1, 2, 3] }],
        }),
      ],
      subjects: [
        subject({
          name: 'a.s',
          owner: 'a-service',
          kind: 'signal',
          description: 'x',
          schema,
          stream: 'A',
          senders: ['b-service'],
        }),
        subject({
          name: 'a.t',
          owner: 'a-service',
          kind: 'signal',
          description: 'x',
          schema,
          stream: 'NOPE',
        }),
      ],
    });
    expect(codes(r)).toEqual(
      expect.arrayContaining([
        'group-prefix topics[a.x].consumers[wrong.group]',
        'senders subjects[a.s].senders',
        'unknown-stream subjects[a.t].stream',
        'bad-limit streams[A].consumers[b-d].backoffMs',
      ]),
    );
  });

  it('refuses one subject in two streams', () => {
    const r = registry({
      streams: [
        stream({ name: 'A', owner: 'a-service', description: 'x' }),
        stream({ name: 'A2', owner: 'a-service', description: 'x' }),
      ],
      subjects: [
        subject({
          name: 'a.{tenant}.x',
          owner: 'a-service',
          kind: 'signal',
          description: 'x',
          schema,
          stream: 'A',
        }),
        subject({
          name: 'a.t1.x',
          owner: 'a-service',
          kind: 'signal',
          description: 'x',
          schema,
          stream: 'A2',
        }),
      ],
    });
    expect(codes(r)).toContain('stream-overlap subjects[a.t1.x]');
  });

  it('refuses a malformed subject template', () => {
    const s = subject({
      name: 'a.{bad token}.x',
      owner: 'a-service',
      kind: 'signal',
      description: 'x',
      schema,
    });
    expect(codes(registry({ subjects: [s] }))).toContain('bad-name subjects[a.{bad token}.x]');
  });
});
