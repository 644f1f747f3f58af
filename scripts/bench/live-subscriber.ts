// The NATS subscriber of `bench:ingest`'s latency step, in a worker thread of its own: its clock
// readings then wait only for the CPU, never for the load generator's event loop (building and
// sending batches, polling Iceberg) as they would on the bench's main thread.
//
// workerData: { servers, user, pass, subject, prefix }. Posts 'ready' once subscribed; on
// { expect: n } it answers with what it saw once it has n events, or after `timeoutMs`.
import { parentPort, workerData } from 'node:worker_threads';
import { connect } from '@nats-io/transport-node';
import type { AssetEvent } from '@openfoundry/bus-registry';

export interface LiveSubscriberInput {
  servers: string;
  user: string;
  pass: string;
  /** A subject filter, e.g. `live.acme.>`. */
  subject: string;
  /** Only assets whose id starts with this are measured. */
  prefix: string;
}

/** Per event seen: when the bench sent it, when connector-service took it in, when it arrived (ms). */
export interface LiveSubscriberResult {
  sent: number[];
  ingested: number[];
  received: number[];
}

if (parentPort) {
  const port = parentPort;
  const input = workerData as LiveSubscriberInput;
  const nats = await connect({ servers: input.servers, user: input.user, pass: input.pass });
  const seen: LiveSubscriberResult = { sent: [], ingested: [], received: [] };
  let expected = Number.POSITIVE_INFINITY;
  let answered = false;
  const answer = async () => {
    if (answered) return;
    answered = true;
    port.postMessage(seen);
    await nats.close();
  };
  // The asset id is the third token of `live.<tenant>.<asset>.<attribute>`.
  nats.subscribe(input.subject, {
    callback: (_error, message) => {
      if (!(message.subject.split('.')[2] ?? '').startsWith(input.prefix)) return;
      const received = Date.now();
      const event = message.json<AssetEvent>();
      seen.sent.push(Date.parse(event.sourceTime));
      seen.ingested.push(Date.parse(event.ingestTime));
      seen.received.push(received);
      if (seen.sent.length >= expected) void answer();
    },
  });
  await nats.flush();
  port.on('message', (message: { expect: number; timeoutMs: number }) => {
    expected = message.expect;
    if (seen.sent.length >= expected) void answer();
    else setTimeout(() => void answer(), message.timeoutMs).unref();
  });
  port.postMessage('ready');
}
