import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusError, BusErrorCode, type ControlBus, RemoteError } from '../src/index.ts';
import {
  type ControlFixture,
  connectAs,
  provisionFixture,
  teardownFixture,
  until,
} from './support/fixture.ts';

/** How a service raises a domain error: a stable code plus details (service-kit's DomainError has this shape). */
class ConnectorNotFound extends Error {
  readonly code = 'CONNECTOR_NOT_FOUND';
  readonly details: { connector: string };
  constructor(connector: string) {
    super(`no connector ${connector}`);
    this.details = { connector };
  }
}

let f: ControlFixture;
let handler: ControlBus;
let sender: ControlBus;
let release: () => void = () => {};
const slowStarted: string[] = [];

beforeAll(async () => {
  f = await provisionFixture();
  handler = await connectAs(f, f.a);
  sender = await connectAs(f, f.b);
  const slow = new Promise<void>((resolve) => {
    release = resolve;
  });
  const handling = handler.handle(f.subjects.start, async (request) => {
    const { connector } = request.value;
    if (connector === 'missing') throw new ConnectorNotFound(connector);
    if (connector === 'bug') throw new Error('a bug with internal details');
    if (connector === 'bus-error') throw new BusError(BusErrorCode.Unavailable, 'the connector host is down');
    if (connector === 'slow') {
      slowStarted.push(request.source);
      await slow;
    }
    return { connector: `${connector}@${request.source.split('.')[1]}`, running: true };
  });
  await handling.ready;
});

afterAll(async () => {
  release();
  await sender?.close();
  await handler?.close();
  if (f) await teardownFixture(f);
});

describe('request/reply', () => {
  it('returns the handler result, with tokens reaching the handler through the subject', async () => {
    const reply = await sender.request(f.subjects.start, {
      tokens: { tenant: 'acme' },
      value: { connector: 'opcua-1' },
    });
    expect(reply).toEqual({ connector: 'opcua-1@acme', running: true });
  });

  it('rethrows a handler domain error as a RemoteError carrying the shared error shape', async () => {
    const error = await sender
      .request(f.subjects.start, { tokens: { tenant: 'acme' }, value: { connector: 'missing' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error).toBeInstanceOf(BusError);
    expect(error).toMatchObject({
      code: BusErrorCode.Remote,
      remote: {
        code: 'CONNECTOR_NOT_FOUND',
        message: 'no connector missing',
        details: { connector: 'missing' },
      },
    });
  });

  it('keeps a bus error code the handler raised', async () => {
    const error = await sender
      .request(f.subjects.start, { tokens: { tenant: 'acme' }, value: { connector: 'bus-error' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BusError);
    expect(error).not.toBeInstanceOf(RemoteError);
    expect(error).toMatchObject({
      code: BusErrorCode.Unavailable,
      message: expect.stringContaining('the connector host is down'),
    });
  });

  it('does not leak an unexpected error to the requester', async () => {
    const error = await sender
      .request(f.subjects.start, { tokens: { tenant: 'acme' }, value: { connector: 'bug' } })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ remote: { code: 'INTERNAL' } });
    expect(JSON.stringify((error as RemoteError).remote)).not.toContain('internal details');
  });

  it('times out with BusError Timeout when the handler does not answer in time', async () => {
    const error = await sender
      .request(f.subjects.start, { tokens: { tenant: 'acme' }, value: { connector: 'slow' }, timeoutMs: 300 })
      .catch((e: unknown) => e);
    expect(slowStarted).toHaveLength(1);
    expect(error).toMatchObject({
      code: BusErrorCode.Timeout,
      message: expect.stringContaining('no reply within 300 ms'),
    });
    // Closing a bus waits for its handlers in flight, so let this one finish.
    release();
  });

  it('lets an instance answer only the requests addressed to it (handle with tokens)', async () => {
    const [one, two] = await Promise.all([connectAs(f, f.a), connectAs(f, f.a)]);
    try {
      const subs = [
        one.handle(
          f.subjects.stop,
          async (r) => ({ connector: `one:${r.value.connector}`, running: false }),
          {
            tokens: { tenant: 'tenant-one' },
          },
        ),
        two.handle(
          f.subjects.stop,
          async (r) => ({ connector: `two:${r.value.connector}`, running: false }),
          {
            tokens: { tenant: 'tenant-two' },
          },
        ),
      ];
      await Promise.all(subs.map((s) => s.ready));
      for (let i = 0; i < 10; i++) {
        const tenant = i % 2 === 0 ? 'tenant-one' : 'tenant-two';
        const reply = await sender.request(f.subjects.stop, {
          tokens: { tenant },
          value: { connector: `c${i}` },
        });
        expect((reply as { connector: string }).connector).toBe(
          `${tenant === 'tenant-one' ? 'one' : 'two'}:c${i}`,
        );
      }
      const unaddressed = await sender
        .request(f.subjects.stop, { tokens: { tenant: 'tenant-three' }, value: { connector: 'x' } })
        .catch((e: unknown) => e);
      expect(unaddressed).toMatchObject({ code: BusErrorCode.NoResponders });
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('fails at once with NoResponders when no handler listens', async () => {
    const error = await sender
      .request(f.subjects.stop, { tokens: { tenant: 'acme' }, value: { connector: 'x' }, timeoutMs: 60_000 })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: BusErrorCode.NoResponders,
      message: expect.stringContaining('no handler is listening'),
    });
  });

  it('shares requests among the instances of the handling service', async () => {
    const second = await connectAs(f, f.a);
    const served: string[] = [];
    const sub = second.handle(f.subjects.start, async (request) => {
      served.push(request.value.connector);
      return { connector: request.value.connector, running: false };
    });
    await sub.ready;
    const replies = [];
    for (let i = 0; i < 40; i++) {
      replies.push(
        await sender.request(f.subjects.start, { tokens: { tenant: 'acme' }, value: { connector: `c${i}` } }),
      );
    }
    await second.close();
    // Each request answered exactly once; the queue group spread them over both instances.
    expect(replies).toHaveLength(40);
    const bySecond = replies.filter((r) => !r.running).length;
    expect(bySecond).toBe(served.length);
    expect(bySecond).toBeGreaterThan(0);
    expect(bySecond).toBeLessThan(40);
  });

  it('refuses to handle a command for a service that does not own it, or to request one as a non-sender', async () => {
    expect(() => sender.handle(f.subjects.start, async () => ({ connector: 'x', running: true }))).toThrow(
      expect.objectContaining({ code: BusErrorCode.NotOwner }),
    );
    const outsider = await connectAs(f, f.c);
    try {
      await expect(
        outsider.request(f.subjects.start, { tokens: { tenant: 'acme' }, value: { connector: 'x' } }),
      ).rejects.toMatchObject({ code: BusErrorCode.NotOwner, message: expect.stringContaining(f.b) });
    } finally {
      await outsider.close();
    }
  });

  it('lets the handler finish a request in flight when its bus closes', async () => {
    const instance = await connectAs(f, f.a);
    let finish: () => void = () => {};
    const sub = instance.handle(f.subjects.start, async (request) => {
      await new Promise<void>((resolve) => {
        finish = resolve;
      });
      return { connector: request.value.connector, running: true };
    });
    await sub.ready;
    await handler.close();
    const pending = sender.request(f.subjects.start, {
      tokens: { tenant: 'acme' },
      value: { connector: 'graceful' },
      timeoutMs: 10_000,
    });
    await until('the request to reach the handler', () => (sub.stats().received === 1 ? true : undefined));
    const closing = instance.close();
    finish();
    await closing;
    await expect(pending).resolves.toEqual({ connector: 'graceful', running: true });
  });
});
