import {
  BusError,
  BusErrorCode,
  defineRegistry,
  payloadSchema,
  stream,
  subject,
} from '@openfoundry/bus-registry';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RegistryView } from './registry-view.ts';

const schema = payloadSchema('connectors.x', 1, z.object({}));
const started = subject({
  name: 'connectors.{tenant}.connector.started',
  owner: 'connectors-service',
  kind: 'signal',
  description: 'started',
  schema,
  stream: 'CONNECTORS',
  subscribers: ['ontology-service'],
});
const start = subject({
  name: 'connectors.{tenant}.connector.start',
  owner: 'connectors-service',
  kind: 'command',
  description: 'start',
  schema,
  senders: ['workflow-service'],
});
const queued = subject({
  name: 'connectors.{tenant}.connector.restart',
  owner: 'connectors-service',
  kind: 'command',
  description: 'stored command',
  schema,
  stream: 'CONNECTORS',
  senders: ['workflow-service'],
});
const connectors = stream({
  name: 'CONNECTORS',
  owner: 'connectors-service',
  description: 'x',
  consumers: [{ service: 'audit-service', durable: 'audit-connectors' }],
});
const registry = defineRegistry({ topics: [], subjects: [started, start, queued], streams: [connectors] });
const view = (service: string) => new RegistryView(registry, service);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof BusError ? error.code : `not a BusError: ${error}`;
  }
  return undefined;
}

describe(RegistryView.name, () => {
  it('finds subjects and streams by definition or name, and names what it cannot find', () => {
    expect(view('x').subject('connectors.{tenant}.connector.started')).toBe(started);
    expect(view('x').stream(connectors)).toBe(connectors);
    expect(() => view('x').subject('connectors.nope')).toThrow(
      'subject connectors.nope is not in the bus registry: declare it in infra/bus before using it',
    );
    expect(codeOf(() => view('x').subject({ ...started, name: 'other.subject' }))).toBe(
      BusErrorCode.UnknownSubject,
    );
    expect(codeOf(() => view('x').stream('NOPE'))).toBe(BusErrorCode.UnknownStream);
  });

  it('lets only the owner publish a signal', () => {
    expect(codeOf(() => view('connectors-service').assertPublisher(started))).toBeUndefined();
    expect(codeOf(() => view('ontology-service').assertPublisher(started))).toBe(BusErrorCode.NotOwner);
  });

  it('lets the owner and declared senders publish a command, nobody else', () => {
    expect(codeOf(() => view('workflow-service').assertPublisher(start))).toBeUndefined();
    expect(codeOf(() => view('connectors-service').assertPublisher(start))).toBeUndefined();
    expect(() => view('audit-service').assertPublisher(start)).toThrow(
      /audit-service may not publish connectors.\{tenant\}.connector.start: .*senders: workflow-service/,
    );
  });

  it('lets the owner and declared subscribers subscribe', () => {
    expect(codeOf(() => view('ontology-service').assertSubscriber(started))).toBeUndefined();
    expect(codeOf(() => view('connectors-service').assertSubscriber(started))).toBeUndefined();
    expect(codeOf(() => view('audit-service').assertSubscriber(started))).toBe(BusErrorCode.NotDeclared);
  });

  it('lets only the owner handle a command, and only commands have handlers', () => {
    expect(codeOf(() => view('connectors-service').assertHandler(start))).toBeUndefined();
    expect(codeOf(() => view('workflow-service').assertHandler(start))).toBe(BusErrorCode.NotOwner);
    expect(codeOf(() => view('connectors-service').assertHandler(started))).toBe(BusErrorCode.NotDeclared);
  });

  it('sends requests only for core commands the service may send', () => {
    expect(codeOf(() => view('workflow-service').assertRequestable(start))).toBeUndefined();
    expect(() => view('workflow-service').assertRequestable(queued)).toThrow(/stored in stream CONNECTORS/);
    expect(codeOf(() => view('connectors-service').assertRequestable(started))).toBe(
      BusErrorCode.NotDeclared,
    );
    expect(codeOf(() => view('audit-service').assertRequestable(start))).toBe(BusErrorCode.NotOwner);
  });

  it('hands out a durable consumer only to the service it is declared for', () => {
    expect(view('audit-service').durable(connectors, 'audit-connectors').ackWaitMs).toBe(30_000);
    expect(() => view('ontology-service').durable(connectors, 'audit-connectors')).toThrow(
      'durable consumer audit-connectors of stream CONNECTORS belongs to audit-service, not ontology-service',
    );
    expect(() => view('audit-service').durable(connectors, 'audit-other')).toThrow(
      /declared: audit-connectors/,
    );
  });

  it('maps a concrete stored subject back to its registry entry', () => {
    expect(view('x').subjectOf('connectors.acme.connector.started', 'CONNECTORS')).toBe(started);
    expect(view('x').subjectOf('connectors.acme.connector.started', 'OTHER')).toBeUndefined();
    expect(view('x').subjectOf('connectors.acme.other')).toBeUndefined();
  });

  it('answers a repeated lookup the same way, per stream, and stays bounded for open-ended tokens', () => {
    const v = view('x');
    for (let round = 0; round < 2; round++) {
      expect(v.subjectOf('connectors.acme.connector.started', 'CONNECTORS')).toBe(started);
      expect(v.subjectOf('connectors.acme.connector.started', 'OTHER')).toBeUndefined();
      expect(v.subjectOf('connectors.acme.connector.started')).toBe(started);
      expect(v.subjectOf('connectors.acme.other')).toBeUndefined();
    }
    for (let tenant = 0; tenant < 10_000; tenant++) {
      expect(v.subjectOf(`connectors.t${tenant}.connector.started`, 'CONNECTORS')).toBe(started);
    }
  });
});
