import { describe, expect, it } from 'vitest';
import type { PlatformConfig } from '../config.ts';
import { isConnackAccepted, mosquittoConfig, mqttConnectPacket } from './mosquitto.ts';

describe('mqttConnectPacket', () => {
  it('encodes an MQTT 3.1.1 CONNECT', () => {
    const packet = mqttConnectPacket('abc');
    expect([...packet]).toEqual([
      0x10, 15, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 10, 0, 3, 0x61, 0x62, 0x63,
    ]);
  });
  it('accepts only a CONNACK with return code 0', () => {
    expect(isConnackAccepted(Buffer.from([0x20, 2, 0, 0]))).toBe(true);
    expect(isConnackAccepted(Buffer.from([0x20, 2, 0, 5]))).toBe(false);
  });
});

describe('mosquittoConfig', () => {
  const config = { ports: { mqtt: 1883 } } as unknown as PlatformConfig;
  it('bounds the per-session queue by bytes, not by mosquitto’s default of 1000 messages', () => {
    const text = mosquittoConfig(config, '/data');
    expect(text).toContain('listener 1883 127.0.0.1');
    expect(text).toMatch(/^max_queued_messages 0$/m);
    expect(text).toMatch(/^max_queued_bytes 268435456$/m);
    expect(text).toMatch(/^max_inflight_messages 20$/m);
  });
});
