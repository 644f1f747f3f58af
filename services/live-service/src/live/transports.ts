import type { ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';
import type { LiveMessage, LiveTransport } from './live-connection.ts';

/** Server-sent events framing: one `event:` name per message type, JSON in `data:`. */
export function sseFrame(message: LiveMessage): string {
  switch (message.type) {
    case 'event':
      return `event: asset-event\ndata: ${message.event.json}\n\n`;
    case 'gap':
      return `event: gap\ndata: {"dropped":${message.dropped}}\n\n`;
    case 'heartbeat':
      return ': heartbeat\n\n';
    case 'subscribed':
    case 'unsubscribed':
      return `event: ${message.type}\ndata: ${JSON.stringify({ filters: message.filters })}\n\n`;
    case 'error':
      return `event: error\ndata: ${JSON.stringify({ code: message.code, message: message.message, details: message.details })}\n\n`;
  }
}

/** WebSocket framing: one JSON object per text message, `type` first. */
export function wsFrame(message: LiveMessage): string {
  switch (message.type) {
    case 'event':
      return `{"type":"event","event":${message.event.json}}`;
    case 'heartbeat':
      return '';
    default:
      return JSON.stringify(message);
  }
}

export function sseTransport(response: ServerResponse): LiveTransport {
  return {
    write(message) {
      if (response.writableEnded || response.destroyed) return true;
      return response.write(sseFrame(message));
    },
    onWritable(callback) {
      response.once('drain', callback);
    },
    close(reason) {
      if (response.writableEnded || response.destroyed) return;
      response.end(`event: shutdown\ndata: ${JSON.stringify({ reason })}\n\n`);
    },
  };
}

/** Close code 1001 ("going away") tells the client to reconnect, to this or another instance. */
export const WS_GOING_AWAY = 1001;
/** Bytes a WebSocket may hold in the process before its client counts as slow. */
const WS_HIGH_WATER_BYTES = 64 * 1024;

export function wsTransport(socket: WebSocket): LiveTransport {
  let waiting: (() => void) | undefined;
  // ws has no drain event: each send's callback runs once its frame reached the kernel.
  const sent = () => {
    if (waiting && socket.bufferedAmount < WS_HIGH_WATER_BYTES) {
      const callback = waiting;
      waiting = undefined;
      callback();
    }
  };
  return {
    write(message) {
      if (socket.readyState !== socket.OPEN) return true;
      if (message.type === 'heartbeat') {
        socket.ping();
        return true;
      }
      socket.send(wsFrame(message), sent);
      return socket.bufferedAmount < WS_HIGH_WATER_BYTES;
    },
    onWritable(callback) {
      waiting = callback;
    },
    close(reason) {
      if (socket.readyState === socket.OPEN) socket.close(WS_GOING_AWAY, reason);
    },
  };
}
