import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { IngestItem } from '../src/protocols/http.ts';
import { Simulator } from '../src/simulator.ts';
import { truthSummary } from '../src/truth.ts';
import { freePort, sequencesByPair, tempFile, truthEntries, uniqueTenant } from './helpers.ts';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  items: IngestItem[];
  answered: number;
}

/** A stand-in ingest endpoint: `answer` picks the status (and body) of the n-th request. */
async function ingestServer(
  answer: (n: number, res: ServerResponse, items: IngestItem[]) => number | { status: number; body: unknown },
) {
  const seen: Seen[] = [];
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const items = JSON.parse(Buffer.concat(chunks).toString()) as IngestItem[];
    const answered = answer(seen.length, res, items);
    const status = typeof answered === 'number' ? answered : answered.status;
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: req.headers.authorization,
      contentType: req.headers['content-type'],
      items,
      answered: status,
    });
    res.statusCode = status;
    const body =
      typeof answered === 'number'
        ? status === 202
          ? { accepted: items.length, rejected: [] }
          : { code: 'refused', message: `status ${status}` }
        : answered.body;
    res.end(JSON.stringify(body));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return { server, seen, url: `http://127.0.0.1:${port}` };
}

describe('HTTP push', () => {
  let server: Server | undefined;
  afterEach(async () => {
    if (server) await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  });

  it('posts batches with the bearer token, retries a 503 after Retry-After and logs what got 202', async () => {
    const ingest = await ingestServer((n, res) => {
      if (n !== 1) return 202;
      res.setHeader('retry-after', '1');
      return 503;
    });
    server = ingest.server;
    const tenant = uniqueTenant('http');
    const truthFile = tempFile('truth.ndjson');
    const sim = new Simulator({
      tenant,
      assets: 3,
      attributes: 3,
      rate: 200,
      http: { url: ingest.url, device: 'line-1', token: 's3cret', batchSize: 25 },
      truthFile,
    });
    const summary = await sim.run({ durationMs: 1000 });
    const { seen } = ingest;

    expect(seen.every((r) => r.method === 'POST' && r.url === `/v1/ingest/${tenant}/line-1`)).toBe(true);
    expect(
      seen.every((r) => r.authorization === 'Bearer s3cret' && r.contentType === 'application/json'),
    ).toBe(true);
    expect(seen.every((r) => r.items.length >= 1 && r.items.length <= 25)).toBe(true);
    // The refused batch came again, unchanged, and was then accepted.
    const refused = seen[1] as Seen;
    expect(refused.answered).toBe(503);
    const again = seen.filter((r) => JSON.stringify(r.items) === JSON.stringify(refused.items));
    expect(again.map((r) => r.answered)).toEqual([503, 202]);
    expect(summary.protocols.http).toMatchObject({ retries: 1, rejected: 0, unacked: 0, inFlight: 0 });

    const accepted = seen.filter((r) => r.answered === 202).flatMap((r) => r.items);
    const entries = await truthEntries(truthFile);
    expect(entries.every((e) => e.status === 'acked' && e.protocol === 'http')).toBe(true);
    expect(
      entries.map(({ asset, attribute, value, ts, seq }) => ({ asset, attribute, value, ts, seq })),
    ).toEqual(accepted);
    // The retried batch lands after later ones, but no sequence is missing or doubled.
    for (const seqs of sequencesByPair(entries).values()) {
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs.map((_, i) => i));
    }
    expect((await truthSummary(truthFile)).reduce((n, a) => n + a.count, 0)).toBe(accepted.length);
  });

  it('logs the items a 207 lists as rejected and the rest as acked', async () => {
    // Every even position of a batch is dead-lettered.
    const ingest = await ingestServer((_n, _res, items) => ({
      status: 207,
      body: {
        accepted: items.filter((_, i) => i % 2 === 1).length,
        rejected: items.flatMap((_, index) =>
          index % 2 === 0 ? [{ index, reason: 'schema', detail: 'test' }] : [],
        ),
      },
    }));
    server = ingest.server;
    const truthFile = tempFile('truth.ndjson');
    const log: string[] = [];
    const sim = new Simulator({
      tenant: uniqueTenant('http207'),
      assets: 2,
      attributes: 3,
      rate: 100,
      http: { url: ingest.url, device: 'line-1', batchSize: 7 },
      truthFile,
      log: (m) => log.push(m),
    });
    const summary = await sim.run({ durationMs: 500 });
    const key = (e: { asset: string; attribute: string; seq: number }) =>
      `${e.asset}/${e.attribute}#${e.seq}`;
    const expectRejected = new Set(
      ingest.seen.flatMap((r) => r.items.filter((_, i) => i % 2 === 0).map(key)),
    );
    const entries = await truthEntries(truthFile);
    expect(entries.length).toBeGreaterThan(1);
    for (const entry of entries) {
      expect(entry.status, key(entry)).toBe(expectRejected.has(key(entry)) ? 'rejected' : 'acked');
    }
    expect(summary.protocols.http).toMatchObject({
      sent: entries.length,
      rejected: expectRejected.size,
      acked: entries.length - expectRejected.size,
      retries: 0,
    });
    expect(log.some((m) => m.includes('HTTP 207') && m.includes('(schema)'))).toBe(true);
  });

  it('logs a batch the server refuses for good as rejected, without retrying it', async () => {
    const ingest = await ingestServer(() => 400);
    server = ingest.server;
    const truthFile = tempFile('truth.ndjson');
    const log: string[] = [];
    const sim = new Simulator({
      tenant: uniqueTenant('http400'),
      assets: 2,
      attributes: 2,
      rate: 100,
      http: { url: ingest.url, device: 'line-1', batchSize: 10 },
      truthFile,
      log: (m) => log.push(m),
    });
    const summary = await sim.run({ durationMs: 500 });
    const sent = ingest.seen.reduce((n, r) => n + r.items.length, 0);
    expect(sent).toBeGreaterThan(0);
    expect(summary.protocols.http).toMatchObject({ sent, acked: 0, rejected: sent, retries: 0 });
    expect((await truthEntries(truthFile)).every((e) => e.status === 'rejected')).toBe(true);
    expect(await truthSummary(truthFile)).toEqual([]);
    expect(log.some((m) => m.includes('HTTP 400'))).toBe(true);
  });

  it('keeps retrying while the endpoint is unreachable and logs the events as unacked at the end', async () => {
    const port = await freePort();
    const truthFile = tempFile('truth.ndjson');
    const sim = new Simulator({
      tenant: uniqueTenant('httpdown'),
      assets: 1,
      attributes: 2,
      rate: 100,
      http: { url: `http://127.0.0.1:${port}`, device: 'line-1', batchSize: 5 },
      truthFile,
      drainTimeoutMs: 700,
      log: () => {},
    });
    const summary = await sim.run({ durationMs: 300 });
    const http = summary.protocols.http;
    expect(http?.sent).toBeGreaterThan(0);
    expect(http).toMatchObject({ acked: 0, rejected: 0, unacked: http?.sent, inFlight: 0 });
    expect(http?.retries).toBeGreaterThan(0);
    const entries = await truthEntries(truthFile);
    expect(entries).toHaveLength(http?.sent ?? -1);
    expect(entries.every((e) => e.status === 'unacked')).toBe(true);
  });
});
