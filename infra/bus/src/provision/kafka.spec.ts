import { AclOperations, ResourcePatternTypes, ResourceTypes } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineRegistry, payloadSchema, topic } from '../model.ts';
import { kafkaAcls, topicConfigs } from './kafka.ts';

const schema = payloadSchema('a.thing', 1, z.object({ id: z.string() }));
const registry = defineRegistry({
  topics: [
    topic({
      name: 'a.things.v1',
      owner: 'a-service',
      kind: 'telemetry',
      description: 'x',
      schema,
      consumers: [{ service: 'b-service', group: 'b-service.things' }],
    }),
  ],
  subjects: [],
  streams: [],
});

const summary = (service: string) =>
  kafkaAcls(registry, service).map(
    (a) =>
      `${Object.keys(ResourceTypes).find((k) => ResourceTypes[k as keyof typeof ResourceTypes] === a.resourceType)} ` +
      `${a.resourceName} ${a.resourcePatternType === ResourcePatternTypes.PREFIXED ? 'prefixed' : 'literal'} ` +
      `${Object.keys(AclOperations).find((k) => AclOperations[k as keyof typeof AclOperations] === a.operation)}`,
  );

describe(kafkaAcls.name, () => {
  it('lets an owner write and describe its own domain prefix only', () => {
    expect(summary('a-service')).toEqual([
      'TOPIC a. prefixed WRITE',
      'TOPIC a. prefixed DESCRIBE',
      'CLUSTER kafka-cluster literal IDEMPOTENT_WRITE',
    ]);
  });

  it('lets a declared consumer read that topic, use its own groups and write its dead-letter topic', () => {
    expect(summary('b-service')).toEqual([
      'TOPIC b. prefixed WRITE',
      'TOPIC b. prefixed DESCRIBE',
      'CLUSTER kafka-cluster literal IDEMPOTENT_WRITE',
      'TOPIC a.things.v1 literal READ',
      'TOPIC a.things.v1 literal DESCRIBE',
      'GROUP b-service. prefixed READ',
      'GROUP b-service. prefixed DESCRIBE',
    ]);
    expect(kafkaAcls(registry, 'b-service').every((a) => a.principal === 'User:b-service')).toBe(true);
  });

  it('grants nothing to a service the registry does not mention', () => {
    expect(kafkaAcls(registry, 'c-service')).toEqual([]);
  });
});

describe(topicConfigs.name, () => {
  it('clamps replication-dependent settings to the brokers available', () => {
    const [t] = registry.topics;
    if (!t) throw new Error('no topic');
    expect(topicConfigs(t, 1)).toEqual({
      'cleanup.policy': 'delete',
      'retention.ms': String(14 * 86_400_000),
      'max.message.bytes': '1048576',
      'min.insync.replicas': '1',
    });
    expect(topicConfigs(t, 3)['min.insync.replicas']).toBe('2');
  });
});
