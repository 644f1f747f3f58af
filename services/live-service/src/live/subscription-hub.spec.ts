import type { AssetEvent, BusMessage } from '@openfoundry/bus-registry';
import type { ControlSubscription } from '@openfoundry/event-bus-control';
import { describe, expect, it } from 'vitest';
import { assetEvent } from '../../test/factories.ts';
import { LiveConnection, type LiveMessage } from './live-connection.ts';
import { type LiveSubjectSource, SubscriptionHub } from './subscription-hub.ts';

/** Core NATS in memory: subjects live.<tenant>.<asset>.<attribute>, `*` matching one token. */
class FakeNats implements LiveSubjectSource {
  readonly open = new Map<string, (message: BusMessage<AssetEvent>) => Promise<void>>();
  subscribe(
    tokens: { tenant: string; asset?: string; attribute?: string },
    handler: (message: BusMessage<AssetEvent>) => Promise<void>,
  ): ControlSubscription {
    const subject = `live.${tokens.tenant}.${tokens.asset ?? '*'}.${tokens.attribute ?? '*'}`;
    this.open.set(subject, handler);
    return {
      subject,
      ready: Promise.resolve(),
      stats: () => ({ received: 0, handled: 0, failed: 0, dropped: 0 }),
      close: async () => {
        this.open.delete(subject);
      },
    };
  }
  async publish(event: AssetEvent): Promise<void> {
    const concrete = ['live', event.tenant, event.assetId, event.attribute];
    for (const [pattern, handler] of this.open) {
      const parts = pattern.split('.');
      if (parts.every((p, i) => p === '*' || p === concrete[i]))
        await handler({ value: event } as BusMessage<AssetEvent>);
    }
  }
}

function client(tenant: string) {
  const connection = new LiveConnection({ id: tenant, tenant, kind: 'sse', queueLimit: 100 });
  const received: LiveMessage[] = [];
  connection.attach({
    write: (m) => received.push(m) > 0,
    onWritable: () => {},
    close: () => {},
  });
  const events = () => received.flatMap((m) => (m.type === 'event' ? [m.event.event] : []));
  return { connection, events };
}

describe(SubscriptionHub.name, () => {
  it('shares one subscription per pattern and closes it with its last user', async () => {
    const nats = new FakeNats();
    const hub = new SubscriptionHub(nats);
    const a = client('acme');
    const b = client('acme');
    const filter = { asset: 'pump-1', attribute: '*' };
    a.connection.setFilters([filter]);
    b.connection.setFilters([filter]);
    await hub.add(a.connection, [filter]);
    await hub.add(b.connection, [filter]);
    expect([...nats.open.keys()]).toEqual(['live.acme.pump-1.*']);
    await hub.remove(a.connection);
    expect(hub.subscriptions).toBe(1);
    await hub.remove(b.connection);
    expect(nats.open.size).toBe(0);
  });

  it('delivers an event once to a connection whose filters overlap', async () => {
    const nats = new FakeNats();
    const hub = new SubscriptionHub(nats);
    const a = client('acme');
    const filters = [
      { asset: 'pump-1', attribute: '*' },
      { asset: '*', attribute: 'temperature' },
      { asset: '*', attribute: '*' },
    ];
    a.connection.setFilters(filters);
    await hub.add(a.connection, filters);
    await nats.publish(assetEvent({ tenant: 'acme', assetId: 'pump-1', attribute: 'temperature' }));
    await nats.publish(assetEvent({ tenant: 'acme', assetId: 'pump-2', attribute: 'temperature' }));
    await nats.publish(assetEvent({ tenant: 'acme', assetId: 'pump-3', attribute: 'pressure' }));
    expect(a.events().map((e) => e.assetId)).toEqual(['pump-1', 'pump-2', 'pump-3']);
  });

  it('keeps tenants apart even for the same filter', async () => {
    const nats = new FakeNats();
    const hub = new SubscriptionHub(nats);
    const acme = client('acme');
    const globex = client('globex');
    const all = { asset: '*', attribute: '*' };
    for (const c of [acme, globex]) {
      c.connection.setFilters([all]);
      await hub.add(c.connection, [all]);
    }
    await nats.publish(assetEvent({ tenant: 'globex' }));
    expect(acme.events()).toEqual([]);
    expect(globex.events()).toHaveLength(1);
  });
});
