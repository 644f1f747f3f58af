import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DAY_MS, defineRegistry, payloadSchema, stream, subject } from '../model.ts';
import { consumerConfig, streamConfig } from './nats.ts';

const schema = payloadSchema('connectors.anything', 1, z.object({}));
const connectors = stream({
  name: 'CONNECTORS',
  owner: 'connectors-service',
  description: 'connector signals',
  consumers: [
    { service: 'audit-service', durable: 'audit-connectors' },
    {
      service: 'ontology-service',
      durable: 'ontology-started',
      filterSubject: 'connectors.{tenant}.connector.started',
      ackWaitMs: 5_000,
      maxDeliver: 3,
      backoffMs: [100, 200],
    },
  ],
});
const registry = defineRegistry({
  topics: [],
  streams: [
    connectors,
    stream({
      name: 'CONNECTORS_MEM',
      owner: 'connectors-service',
      description: 'x',
      storage: 'memory',
      maxAgeMs: 1000,
      maxMsgs: 10,
      maxBytes: 2048,
      duplicateWindowMs: 500,
      replicas: 3,
    }),
  ],
  subjects: [
    subject({
      name: 'connectors.{tenant}.connector.started',
      owner: 'connectors-service',
      kind: 'signal',
      description: 's',
      schema,
      stream: 'CONNECTORS',
    }),
    subject({
      name: 'connectors.{tenant}.connector.stopped',
      owner: 'connectors-service',
      kind: 'signal',
      description: 's',
      schema,
      stream: 'CONNECTORS',
    }),
    subject({
      name: 'connectors.{tenant}.connector.start',
      owner: 'connectors-service',
      kind: 'command',
      description: 'c',
      schema,
    }),
    subject({
      name: 'connectors.mem',
      owner: 'connectors-service',
      kind: 'signal',
      description: 's',
      schema,
      stream: 'CONNECTORS_MEM',
    }),
  ],
});

describe(streamConfig.name, () => {
  it('captures the wildcard form of exactly the subjects that name the stream, with ADR 0005 defaults', () => {
    expect(streamConfig(registry, connectors)).toMatchObject({
      name: 'CONNECTORS',
      subjects: ['connectors.*.connector.started', 'connectors.*.connector.stopped'],
      storage: 'file',
      retention: 'limits',
      discard: 'old',
      max_age: 7 * DAY_MS * 1_000_000,
      max_msgs: 1_000_000,
      max_bytes: -1,
      duplicate_window: 120_000 * 1_000_000,
      num_replicas: 1,
      metadata: { 'openfoundry.owner': 'connectors-service' },
    });
  });

  it('takes per-stream overrides and keeps production replicas where the cluster has them', () => {
    const memory = registry.streams[1];
    if (!memory) throw new Error('fixture');
    expect(streamConfig(registry, memory, 5)).toMatchObject({
      subjects: ['connectors.mem'],
      storage: 'memory',
      max_age: 1000 * 1_000_000,
      max_msgs: 10,
      max_bytes: 2048,
      duplicate_window: 500 * 1_000_000,
      num_replicas: 3,
    });
    expect(streamConfig(registry, memory).num_replicas).toBe(1);
  });
});

describe(consumerConfig.name, () => {
  it('makes an explicit-ack durable with the ADR 0005 defaults over the whole stream', () => {
    const [audit] = connectors.consumers;
    if (!audit) throw new Error('fixture');
    const config = consumerConfig(connectors, audit);
    expect(config).toMatchObject({
      durable_name: 'audit-connectors',
      ack_policy: 'explicit',
      deliver_policy: 'all',
      ack_wait: 30_000 * 1_000_000,
      max_deliver: 5,
      metadata: {
        'openfoundry.service': 'audit-service',
        'openfoundry.backoff-ms': '1000,5000,30000,120000',
      },
    });
    expect(config.filter_subject).toBeUndefined();
    // The server would turn backoff[0] into the ack wait; the library naks with the backoff instead.
    expect(config.backoff).toBeUndefined();
  });

  it('filters on the wildcard form of the declared subject', () => {
    const ontology = connectors.consumers[1];
    if (!ontology) throw new Error('fixture');
    expect(consumerConfig(connectors, ontology)).toMatchObject({
      filter_subject: 'connectors.*.connector.started',
      ack_wait: 5_000_000_000,
      max_deliver: 3,
      metadata: { 'openfoundry.backoff-ms': '100,200' },
    });
  });
});
