import { describe, expect, it } from 'vitest';
import { isConnackAccepted, mqttConnectPacket } from './mosquitto.ts';

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
