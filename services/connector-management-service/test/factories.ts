import { randomBytes } from 'node:crypto';

/** A tenant id no other test (or run) uses. */
export const uniqueTenant = (prefix = 'cm') => `${prefix}-${randomBytes(5).toString('hex')}`;

export const mqttDevice = (overrides: Record<string, unknown> = {}) => ({
  protocol: 'mqtt',
  endpoint: 'mqtt://127.0.0.1:1883',
  points: [
    { topic: 'plant/{asset}/{attribute}', payload: 'json' },
    { asset: 'press-1', attribute: 'setpoint', topic: 'plant/press-1/setpoint', writable: true },
  ],
  ...overrides,
});

export const opcuaDevice = (overrides: Record<string, unknown> = {}) => ({
  protocol: 'opcua',
  endpoint: 'opc.tcp://127.0.0.1:4840/plant',
  points: [{ asset: 'oven-1', attribute: 'temperature', nodeId: 'ns=1;s=Oven1.Temperature' }],
  ...overrides,
});

export const httpDevice = (overrides: Record<string, unknown> = {}) => ({
  protocol: 'http',
  points: [],
  allowedAssets: ['scale-1'],
  ...overrides,
});

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
