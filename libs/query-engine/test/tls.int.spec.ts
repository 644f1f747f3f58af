import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, ServerCredentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DuckDBBackend,
  FlightSqlClient,
  FlightSqlServer,
  parseStaticUsers,
  StaticAuthProvider,
} from '../src/index.ts';

let dir: string;
let engine: DuckDBBackend;
let server: FlightSqlServer;
let address: string;
let certificate: Buffer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flight-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  certificate = readFileSync(join(dir, 'cert.pem'));
  engine = await DuckDBBackend.create();
  server = new FlightSqlServer({
    backend: engine,
    auth: new StaticAuthProvider(parseStaticUsers('u:p'), engine.catalogs),
  });
  const tls = ServerCredentials.createSsl(null, [
    { cert_chain: certificate, private_key: readFileSync(join(dir, 'key.pem')) },
  ]);
  address = `127.0.0.1:${await server.listen('127.0.0.1', 0, tls)}`;
});

afterAll(async () => {
  await server?.close(1_000);
  await engine?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('TLS', () => {
  it('serves clients that trust the certificate', async () => {
    const client = await FlightSqlClient.connect({
      address,
      user: 'u',
      password: 'p',
      credentials: credentials.createSsl(certificate),
    });
    expect((await client.query('select 1 as one')).getChild('one')?.get(0)).toBe(1);
    client.close();
  });

  it('refuses plaintext clients', async () => {
    await expect(FlightSqlClient.connect({ address, user: 'u', password: 'p' })).rejects.toHaveProperty(
      'code',
    );
  });
});
