import { randomUUID } from 'node:crypto';
import type { AssetEvent } from '@openfoundry/bus-registry';

let sequence = 0;

/** A unique tenant id for test data (topics and subjects are shared by everyone on the machine). */
export function tenantId(prefix = 't'): string {
  sequence += 1;
  return `${prefix}${sequence}-${randomUUID().slice(0, 8)}`;
}

export function assetEvent(overrides: Partial<AssetEvent> = {}): AssetEvent {
  const now = new Date().toISOString();
  return {
    eventId: randomUUID(),
    tenant: 'acme',
    assetId: 'pump-1',
    kind: 'sample',
    attribute: 'temperature',
    value: { type: 'double', value: 21.5 },
    quality: 'good',
    sourceTime: now,
    ingestTime: now,
    source: { protocol: 'mqtt', replica: 'test-replica', device: 'device-1' },
    ...overrides,
  };
}
