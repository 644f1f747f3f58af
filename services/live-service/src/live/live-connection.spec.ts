import { describe, expect, it } from 'vitest';
import { assetEvent } from '../../test/factories.ts';
import { LiveConnection, type LiveMessage, type LiveTransport } from './live-connection.ts';

/** A client that reads only when the test says so; its buffers take `capacity` unread messages. */
class StalledTransport implements LiveTransport {
  readonly written: LiveMessage[] = [];
  #unread = 0;
  #waiting: (() => void) | undefined;
  closedWith: string | undefined;
  constructor(private readonly capacity = 100) {}
  write(message: LiveMessage): boolean {
    this.written.push(message);
    this.#unread++;
    return this.#unread < this.capacity;
  }
  onWritable(callback: () => void): void {
    this.#waiting = callback;
  }
  close(reason: string): void {
    this.closedWith = reason;
  }
  /** The client reads everything written so far. */
  drain(): void {
    this.#unread = 0;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.();
  }
}

const outgoing = (n: number) => {
  const event = assetEvent({ sequence: n });
  return { event, json: JSON.stringify(event) };
};
const sequences = (messages: LiveMessage[]) =>
  messages.map((m) =>
    m.type === 'event' ? m.event.event.sequence : m.type === 'gap' ? `gap:${m.dropped}` : m.type,
  );

describe(LiveConnection.name, () => {
  it('delivers events in order to a client that keeps up', () => {
    const connection = new LiveConnection({
      id: 'c',
      tenant: 'acme',
      kind: 'sse',
      queueLimit: 3,
    });
    const transport = new StalledTransport(2);
    connection.attach(transport, { type: 'subscribed', filters: [] });
    for (let i = 1; i <= 10; i++) {
      connection.push(outgoing(i));
      transport.drain();
    }
    expect(sequences(transport.written)).toEqual(['subscribed', 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(connection.stats()).toEqual({ delivered: 10, dropped: 0, queued: 0 });
  });

  it('drops events past the queue limit for a slow client and reports them as one gap in their place', () => {
    const connection = new LiveConnection({
      id: 'c',
      tenant: 'acme',
      kind: 'sse',
      queueLimit: 3,
    });
    const transport = new StalledTransport(2);
    connection.attach(transport);
    for (let i = 1; i <= 100; i++) connection.push(outgoing(i));
    // 2 in flight + 3 queued; the other 95 are dropped and never held.
    expect(connection.stats()).toEqual({ delivered: 2, dropped: 95, queued: 3 });
    transport.drain();
    transport.drain();
    transport.drain();
    connection.push(outgoing(101));
    transport.drain();
    expect(sequences(transport.written)).toEqual([1, 2, 3, 4, 5, 'gap:95', 101]);
  });

  it('reports separate gaps for separate stalls', () => {
    const connection = new LiveConnection({
      id: 'c',
      tenant: 'acme',
      kind: 'sse',
      queueLimit: 1,
    });
    const transport = new StalledTransport(1);
    connection.attach(transport);
    for (let i = 1; i <= 4; i++) connection.push(outgoing(i));
    transport.drain();
    transport.drain();
    transport.drain();
    for (let i = 5; i <= 8; i++) connection.push(outgoing(i));
    for (let i = 0; i < 5; i++) transport.drain();
    expect(sequences(transport.written)).toEqual([1, 2, 'gap:2', 5, 6, 'gap:2']);
  });

  it('queues events until a transport is attached, the greeting first', () => {
    const connection = new LiveConnection({ id: 'c', tenant: 'acme', kind: 'websocket', queueLimit: 10 });
    connection.push(outgoing(1));
    const transport = new StalledTransport();
    connection.attach(transport, { type: 'subscribed', filters: [] });
    expect(sequences(transport.written)).toEqual(['subscribed', 1]);
  });

  it('closes once with its reason and ignores events afterwards', () => {
    const connection = new LiveConnection({ id: 'c', tenant: 'acme', kind: 'sse', queueLimit: 10 });
    const transport = new StalledTransport();
    connection.attach(transport);
    connection.close('server shutting down');
    connection.close('again');
    connection.push(outgoing(1));
    expect(transport.closedWith).toBe('server shutting down');
    expect(transport.written).toEqual([]);
  });

  it('owns an event through its first matching filter only', () => {
    const connection = new LiveConnection({ id: 'c', tenant: 'acme', kind: 'sse', queueLimit: 10 });
    connection.setFilters([
      { asset: 'a', attribute: '*' },
      { asset: '*', attribute: 'x' },
    ]);
    expect(connection.owns('a.*', 'a', 'x')).toBe(true);
    expect(connection.owns('*.x', 'a', 'x')).toBe(false);
    expect(connection.owns('*.x', 'b', 'x')).toBe(true);
    expect(connection.owns('a.*', 'b', 'y')).toBe(false);
  });
});
