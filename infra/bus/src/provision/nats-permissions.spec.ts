import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineRegistry, payloadSchema, stream, subject } from '../model.ts';
import { validateRegistry } from '../validate.ts';
import { natsPermissions, natsServices } from './nats-permissions.ts';

const schema = payloadSchema('tenancy.anything', 1, z.object({ id: z.string() }));

const registry = defineRegistry({
  topics: [],
  streams: [
    stream({
      name: 'TENANCY',
      owner: 'tenancy-service',
      description: 'tenant signals',
      consumers: [
        { service: 'audit-service', durable: 'audit-tenancy' },
        {
          service: 'identity-service',
          durable: 'identity-tenants',
          filterSubject: 'tenancy.{tenant}.tenant.changed',
        },
      ],
    }),
  ],
  subjects: [
    subject({
      name: 'tenancy.{tenant}.tenant.changed',
      owner: 'tenancy-service',
      kind: 'signal',
      description: 'changed',
      schema,
      stream: 'TENANCY',
      subscribers: ['ontology-service'],
    }),
    subject({
      name: 'tenancy.{tenant}.tenant.suspend',
      owner: 'tenancy-service',
      kind: 'command',
      description: 'suspend a tenant',
      schema,
      senders: ['identity-service'],
    }),
    subject({
      name: 'live.{tenant}.>',
      owner: 'forwarder-service',
      kind: 'live',
      description: 'live fan-out',
      schema,
      subscribers: ['ontology-service'],
    }),
  ],
});

describe(natsPermissions.name, () => {
  it('is generated from a registry the validator accepts', () => {
    expect(natsServices(registry)).toEqual([
      'audit-service',
      'forwarder-service',
      'identity-service',
      'ontology-service',
      'tenancy-service',
    ]);
    expect(validateRegistry(registry, natsServices(registry))).toEqual([]);
  });

  it('lets an owner publish and handle its subjects and answer the commands it handles', () => {
    expect(natsPermissions(registry, 'tenancy-service')).toEqual({
      publish: { allow: ['tenancy.*.tenant.changed', 'tenancy.*.tenant.suspend'] },
      subscribe: {
        allow: ['_INBOX.tenancy-service.>', 'tenancy.*.tenant.changed', 'tenancy.*.tenant.suspend'],
      },
      allow_responses: { max: 1, expires: '1m' },
    });
  });

  it('lets a sender publish the command and read its own durable consumer, nothing else', () => {
    expect(natsPermissions(registry, 'identity-service')).toEqual({
      publish: {
        allow: [
          '$JS.ACK.TENANCY.identity-tenants.>',
          '$JS.API.CONSUMER.INFO.TENANCY.identity-tenants',
          '$JS.API.CONSUMER.MSG.NEXT.TENANCY.identity-tenants',
          'tenancy.*.tenant.suspend',
        ],
      },
      subscribe: { allow: ['_INBOX.identity-service.>'] },
    });
  });

  it('gives a consumer no stream administration and no other consumer', () => {
    const { publish } = natsPermissions(registry, 'audit-service');
    const allow = 'allow' in publish ? publish.allow : [];
    expect(allow).toEqual([
      '$JS.ACK.TENANCY.audit-tenancy.>',
      '$JS.API.CONSUMER.INFO.TENANCY.audit-tenancy',
      '$JS.API.CONSUMER.MSG.NEXT.TENANCY.audit-tenancy',
    ]);
    expect(allow.some((s) => s.includes('STREAM') || s.includes('CREATE') || s.includes('DELETE'))).toBe(
      false,
    );
  });

  it('lets a declared subscriber subscribe, keeping trailing wildcards, and denies it every publish', () => {
    expect(natsPermissions(registry, 'ontology-service')).toEqual({
      publish: { deny: ['>'] },
      subscribe: { allow: ['_INBOX.ontology-service.>', 'live.*.>', 'tenancy.*.tenant.changed'] },
    });
  });

  it('gives a service the registry does not mention only its inbox', () => {
    expect(natsPermissions(registry, 'stranger-service')).toEqual({
      publish: { deny: ['>'] },
      subscribe: { allow: ['_INBOX.stranger-service.>'] },
    });
  });
});
