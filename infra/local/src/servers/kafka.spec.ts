import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { adminClientProperties, formatProperties, newClusterId, serverProperties } from './kafka.ts';

describe('serverProperties', () => {
  const config = loadConfig({ OPENFOUNDRY_KAFKA_PORT: '19092', OPENFOUNDRY_KAFKA_CONTROLLER_PORT: '19093' });
  const props = serverProperties(config, '/data/kafka');

  it('runs one combined KRaft node on loopback', () => {
    expect(props['process.roles']).toBe('broker,controller');
    expect(props['controller.quorum.voters']).toBe('1@127.0.0.1:19093');
    expect(props.listeners).toBe(
      'SASL_PLAINTEXT://127.0.0.1:19092,FAULT://127.0.0.1:9094,CONTROLLER://127.0.0.1:19093',
    );
  });
  it('advertises the fault listener at the proxy port, so clients behind the proxy stay behind it', () => {
    expect(props['advertised.listeners']).toBe('SASL_PLAINTEXT://127.0.0.1:19092,FAULT://127.0.0.1:9095');
    expect(props['listener.name.fault.scram-sha-512.sasl.jaas.config']).toContain('username="admin"');
  });
  it('locks the broker down: SCRAM, ACLs, no auto-created topics', () => {
    expect(props['sasl.enabled.mechanisms']).toBe('SCRAM-SHA-512,SCRAM-SHA-256');
    expect(props['allow.everyone.if.no.acl.found']).toBe(false);
    expect(props['auto.create.topics.enable']).toBe(false);
    expect(props['super.users']).toBe('User:admin;User:ANONYMOUS');
    expect(props['listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config']).toContain(
      'password="admin-secret"',
    );
  });
  it('renders as a properties file', () => {
    const text = formatProperties(props);
    expect(text).toContain('\nauto.create.topics.enable=false\n');
    expect(text).toContain('log.dirs=/data/kafka\n');
  });
  it('writes client settings for the admin', () => {
    expect(formatProperties(adminClientProperties(config))).toContain('sasl.mechanism=SCRAM-SHA-512\n');
  });
});

describe('newClusterId', () => {
  it('makes 22-character base64url ids that do not start with a dash', () => {
    for (let i = 0; i < 200; i++) expect(newClusterId()).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });
});
