import { type IncomingMessage, request } from 'node:http';
import type { AssetEvent } from '@openfoundry/bus-registry';
import { WebSocket } from 'ws';

export interface SseMessage {
  event: string;
  data: unknown;
}

/** Polls `check` until it returns true (or throws the last reason after `timeoutMs`). */
export async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface SseClient {
  status: number;
  headers: IncomingMessage['headers'];
  /** The error body when the status is not 200. */
  body: unknown;
  messages: SseMessage[];
  comments: string[];
  events(): AssetEvent[];
  response: IncomingMessage;
  ended: Promise<void>;
  close(): void;
}

/** An EventSource-like reader of the SSE endpoint that keeps everything it received. */
export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (response) => {
      const messages: SseMessage[] = [];
      const comments: string[] = [];
      let buffer = '';
      let raw = '';
      const ended = new Promise<void>((done) => {
        response.on('end', done);
        response.on('close', done);
        response.on('error', () => done());
      });
      const client: SseClient = {
        status: response.statusCode ?? 0,
        headers: response.headers,
        body: undefined,
        messages,
        comments,
        events: () => messages.filter((m) => m.event === 'asset-event').map((m) => m.data as AssetEvent),
        response,
        ended,
        close: () => req.destroy(),
      };
      response.setEncoding('utf8');
      if (client.status !== 200) {
        response.on('data', (chunk: string) => {
          raw += chunk;
        });
        response.on('end', () => {
          client.body = JSON.parse(raw);
          resolve(client);
        });
        return;
      }
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
          if (block.startsWith(':')) {
            comments.push(block.slice(1).trim());
            continue;
          }
          let event = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          messages.push({ event, data: JSON.parse(data) });
        }
      });
      resolve(client);
    });
    req.on('error', reject);
    req.end();
  });
}

export interface WsClient {
  socket: WebSocket;
  messages: Record<string, unknown>[];
  events(): AssetEvent[];
  closed: Promise<{ code: number; reason: string }>;
  send(message: unknown): void;
}

/** Opens the WebSocket endpoint; rejects with the HTTP status and body when the upgrade is refused. */
export function openWs(url: string, headers: Record<string, string> = {}): Promise<WsClient> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    const messages: Record<string, unknown>[] = [];
    const closed = new Promise<{ code: number; reason: string }>((done) =>
      socket.on('close', (code, reason) => done({ code, reason: reason.toString() })),
    );
    socket.on('message', (data) => messages.push(JSON.parse(data.toString())));
    socket.on('unexpected-response', (_req, response) => {
      let raw = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        raw += chunk;
      });
      response.on('end', () =>
        reject(
          Object.assign(new Error(`upgrade refused: ${response.statusCode}`), {
            status: response.statusCode,
            body: JSON.parse(raw),
          }),
        ),
      );
    });
    socket.on('error', reject);
    socket.on('open', () =>
      resolve({
        socket,
        messages,
        events: () => messages.filter((m) => m.type === 'event').map((m) => m.event as AssetEvent),
        closed,
        send: (message) => socket.send(JSON.stringify(message)),
      }),
    );
  });
}
