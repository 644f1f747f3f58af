// Talks to the real local servers. beforeAll runs `up()`, which is quick when the platform already runs.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect as natsConnect } from '@nats-io/transport-node';
import { Admin, Producer, stringSerializers } from '@platformatic/kafka';
import mqtt from 'mqtt';
import pg from 'pg';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type PlatformEnv, readPlatformEnv } from './config.ts';
import { up } from './runner.ts';

let env: PlatformEnv;
const servicesDir = mkdtempSync(join(tmpdir(), 'of-services-'));
const fixtureDb = `it_${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  mkdirSync(join(servicesDir, 'fixture-service'));
  writeFileSync(
    join(servicesDir, 'fixture-service', 'service.json'),
    JSON.stringify({ name: 'fixture-service', database: fixtureDb }),
  );
  mkdirSync(join(servicesDir, 'stateless-service'));
  writeFileSync(
    join(servicesDir, 'stateless-service', 'service.json'),
    JSON.stringify({ name: 'stateless-service' }),
  );
  const started = Date.now();
  await up({ env: { ...process.env, OPENFOUNDRY_SERVICES_DIR: servicesDir } });
  // A second up() against a running platform must be a quick no-op.
  const warm = Date.now();
  await up({ env: { ...process.env, OPENFOUNDRY_SERVICES_DIR: servicesDir } });
  expect(Date.now() - warm).toBeLessThan(30_000);
  env = readPlatformEnv();
  console.log(`platform up in ${Date.now() - started} ms`);
}, 900_000);

describe('postgres', () => {
  const admin = () => new pg.Client({ connectionString: env.OPENFOUNDRY_PG_ADMIN_URL });

  afterAll(async () => {
    const client = admin();
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${fixtureDb}`);
    await client.query(`DROP ROLE IF EXISTS ${fixtureDb}`);
    await client.end();
  });

  it('answers queries as the openfoundry superuser', async () => {
    const client = admin();
    await client.connect();
    const { rows } = await client.query('SELECT version() AS v, current_user AS u');
    await client.end();
    expect(rows[0].v).toMatch(/^PostgreSQL 15\./);
    expect(rows[0].u).toBe('openfoundry');
  });

  it('gives each service manifest its own database, owned by its own role', async () => {
    const client = new pg.Client({
      host: env.OPENFOUNDRY_PG_HOST,
      port: Number(env.OPENFOUNDRY_PG_PORT),
      user: fixtureDb,
      password: fixtureDb,
      database: fixtureDb,
    });
    await client.connect();
    await client.query('CREATE TABLE t (id int)');
    const { rows } = await client.query(
      'SELECT current_database() AS db, pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = current_database()',
    );
    await client.end();
    expect(rows[0]).toEqual({ db: fixtureDb, owner: fixtureDb });
  });

  it('refuses a wrong password', async () => {
    const client = new pg.Client({
      connectionString: env.OPENFOUNDRY_PG_ADMIN_URL.replace(':openfoundry@', ':nope@'),
    });
    await expect(client.connect()).rejects.toThrow(/password authentication failed/);
  });
});

describe('nats jetstream', () => {
  const admin = () =>
    natsConnect({
      servers: env.OPENFOUNDRY_NATS_URL,
      user: env.OPENFOUNDRY_NATS_ADMIN_USER,
      pass: env.OPENFOUNDRY_NATS_ADMIN_PASSWORD,
    });

  it('stores a message in a stream and reads it back', async () => {
    const nc = await admin();
    const stream = `IT_${randomUUID().slice(0, 8)}`;
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: stream, subjects: [`it.${stream}.>`] });
      const js = jetstream(nc);
      const ack = await js.publish(`it.${stream}.hello`, 'hello jetstream');
      expect(ack.stream).toBe(stream);
      const message = await jsm.streams.getMessage(stream, { seq: ack.seq });
      expect(message?.string()).toBe('hello jetstream');
      await jsm.streams.delete(stream);
    } finally {
      await nc.close();
    }
  });

  it('refuses a client without credentials or with a wrong password', async () => {
    await expect(natsConnect({ servers: env.OPENFOUNDRY_NATS_URL, reconnect: false })).rejects.toThrow(
      /Authorization Violation/,
    );
    await expect(
      natsConnect({
        servers: env.OPENFOUNDRY_NATS_URL,
        user: env.OPENFOUNDRY_NATS_ADMIN_USER,
        pass: 'wrong',
        reconnect: false,
      }),
    ).rejects.toThrow(/Authorization Violation/);
  });
});

describe('kafka', () => {
  const brokers = () => [env.OPENFOUNDRY_KAFKA_BROKERS];
  const sasl = (password = env.OPENFOUNDRY_KAFKA_ADMIN_PASSWORD) => ({
    mechanism: 'SCRAM-SHA-512' as const,
    username: env.OPENFOUNDRY_KAFKA_ADMIN_USER,
    password,
  });

  it('lets the admin create a topic and produce to it', async () => {
    const topic = `it-${randomUUID()}`;
    const admin = new Admin({ clientId: 'it', bootstrapBrokers: brokers(), sasl: sasl() });
    const producer = new Producer({
      clientId: 'it',
      bootstrapBrokers: brokers(),
      sasl: sasl(),
      serializers: stringSerializers,
    });
    try {
      await admin.createTopics({ topics: [topic], partitions: 2, replicas: 1 });
      const metadata = await admin.metadata({ topics: [topic] });
      expect(metadata.topics.get(topic)?.partitionsCount).toBe(2);
      const result = await producer.send({ messages: [{ topic, key: 'asset-1', value: 'v' }] });
      expect(result.offsets?.[0]?.topic).toBe(topic);
      await admin.deleteTopics({ topics: [topic] });
    } finally {
      await producer.close();
      await admin.close();
    }
  });

  it('does not create topics on first use', async () => {
    const topic = `it-auto-${randomUUID()}`;
    const admin = new Admin({ clientId: 'it', bootstrapBrokers: brokers(), sasl: sasl(), retries: 1 });
    try {
      // The client asks the broker to auto-create (allow_auto_topic_creation=true); the broker must refuse.
      const error = await admin.metadata({ topics: [topic], autocreateTopics: true }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(errorChain(error)).toMatch(/Unknown topic/);
      const all = await admin.listTopics();
      expect(all).not.toContain(topic);
    } finally {
      await admin.close();
    }
  });

  it('refuses a wrong password', async () => {
    const admin = new Admin({ clientId: 'it', bootstrapBrokers: brokers(), sasl: sasl('wrong'), retries: 0 });
    try {
      const error = await admin.listTopics().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(errorChain(error)).toMatch(/SASL authentication failed/);
    } finally {
      await admin.close();
    }
  });
});

function errorChain(error: unknown): string {
  const parts: string[] = [];
  const visit = (e: unknown, depth: number) => {
    if (!(e instanceof Error) || depth > 5) return;
    parts.push(e.message);
    const nested = e as Error & { errors?: unknown[]; cause?: unknown };
    for (const inner of nested.errors ?? []) visit(inner, depth + 1);
    visit(nested.cause, depth + 1);
  };
  visit(error, 0);
  return parts.join(' | ');
}

function s3Client(): S3Client {
  return new S3Client({
    endpoint: env.OPENFOUNDRY_S3_ENDPOINT,
    region: env.OPENFOUNDRY_S3_REGION,
    forcePathStyle: true,
    credentials: {
      accessKeyId: env.OPENFOUNDRY_S3_ACCESS_KEY,
      secretAccessKey: env.OPENFOUNDRY_S3_SECRET_KEY,
    },
  });
}

describe('s3', () => {
  let s3: S3Client;
  beforeAll(() => {
    s3 = s3Client();
  });
  afterAll(() => s3.destroy());
  const Bucket = () => env.OPENFOUNDRY_S3_WAREHOUSE_BUCKET;

  it('puts, lists and gets an object in the warehouse bucket', async () => {
    const Key = `it/${randomUUID()}/hello.txt`;
    await s3.send(new PutObjectCommand({ Bucket: Bucket(), Key, Body: 'hello s3' }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: Bucket(), Prefix: Key.slice(0, -9) }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([Key]);
    const got = await s3.send(new GetObjectCommand({ Bucket: Bucket(), Key }));
    expect(await got.Body?.transformToString()).toBe('hello s3');
    await s3.send(new DeleteObjectCommand({ Bucket: Bucket(), Key }));
  });

  it('assembles a multipart upload', async () => {
    const Key = `it/${randomUUID()}/big.bin`;
    const part1 = Buffer.alloc(5 * 1024 * 1024, 'a');
    const part2 = Buffer.from('tail');
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: Bucket(), Key }));
    const parts = [];
    for (const [i, Body] of [part1, part2].entries()) {
      const { ETag } = await s3.send(
        new UploadPartCommand({ Bucket: Bucket(), Key, UploadId, PartNumber: i + 1, Body }),
      );
      parts.push({ ETag, PartNumber: i + 1 });
    }
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: Bucket(),
        Key,
        UploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: Bucket(), Key }));
    const bytes = Buffer.from((await got.Body?.transformToByteArray()) ?? []);
    expect(bytes.length).toBe(part1.length + part2.length);
    expect(bytes.subarray(-4).toString()).toBe('tail');
    await s3.send(new DeleteObjectCommand({ Bucket: Bucket(), Key }));
  });
});

describe('redis', () => {
  it('stores and returns a value', async () => {
    const client = createClient({ url: env.OPENFOUNDRY_REDIS_URL });
    await client.connect();
    const key = `it:${randomUUID()}`;
    await client.set(key, 'hello redis', { EX: 60 });
    expect(await client.get(key)).toBe('hello redis');
    await client.del(key);
    await client.quit();
  });
});

describe('mosquitto', () => {
  it('delivers a published message to a subscriber', async () => {
    const topic = `it/${randomUUID()}`;
    const subscriber = await mqtt.connectAsync(env.OPENFOUNDRY_MQTT_URL);
    const publisher = await mqtt.connectAsync(env.OPENFOUNDRY_MQTT_URL);
    try {
      const received = new Promise<string>((resolve) =>
        subscriber.on('message', (t, payload) => t === topic && resolve(payload.toString())),
      );
      await subscriber.subscribeAsync(topic, { qos: 1 });
      await publisher.publishAsync(topic, 'hello mqtt', { qos: 1 });
      expect(await received).toBe('hello mqtt');
    } finally {
      await publisher.endAsync();
      await subscriber.endAsync();
    }
  });
});

describe('duckdb', () => {
  async function duck() {
    const instance = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false' });
    const connection = await instance.connect();
    await connection.run(`SET extension_directory = '${env.OPENFOUNDRY_DUCKDB_EXTENSION_DIR}'`);
    return { instance, connection };
  }
  const scalar = async (c: Awaited<ReturnType<typeof duck>>['connection'], sql: string) =>
    (await c.runAndReadAll(sql)).getRows()[0]?.[0];

  it('loads the signed extensions with signature checks on', async () => {
    const { instance, connection } = await duck();
    expect(await scalar(connection, "SELECT current_setting('allow_unsigned_extensions')")).toBe(false);
    for (const name of ['httpfs', 'iceberg', 'postgres_scanner', 'tpch'])
      await connection.run(`LOAD ${name}`);
    const loaded = (
      await connection.runAndReadAll('SELECT extension_name FROM duckdb_extensions() WHERE loaded')
    )
      .getRows()
      .map((r) => r[0]);
    expect(loaded).toEqual(expect.arrayContaining(['httpfs', 'iceberg', 'postgres_scanner', 'tpch']));
    expect(await scalar(connection, 'SELECT version()')).toBe(`v${env.OPENFOUNDRY_DUCKDB_VERSION}`);
    connection.closeSync();
    instance.closeSync();
  });

  it('generates TPC-H data', async () => {
    const { instance, connection } = await duck();
    await connection.run('LOAD tpch');
    await connection.run('CALL dbgen(sf = 0.01)');
    expect(Number(await scalar(connection, 'SELECT count(*) FROM lineitem'))).toBe(60175);
    connection.closeSync();
    instance.closeSync();
  });

  it('reads an object from the local S3 server through httpfs', async () => {
    const s3 = s3Client();
    const Key = `it/${randomUUID()}/rows.csv`;
    await s3.send(
      new PutObjectCommand({
        Bucket: env.OPENFOUNDRY_S3_WAREHOUSE_BUCKET,
        Key,
        Body: 'id,name\n1,a\n2,b\n3,c\n',
      }),
    );
    const { instance, connection } = await duck();
    await connection.run('LOAD httpfs');
    const endpoint = new URL(env.OPENFOUNDRY_S3_ENDPOINT);
    await connection.run(`CREATE SECRET local_s3 (TYPE s3, KEY_ID '${env.OPENFOUNDRY_S3_ACCESS_KEY}',
      SECRET '${env.OPENFOUNDRY_S3_SECRET_KEY}', REGION '${env.OPENFOUNDRY_S3_REGION}', ENDPOINT '${endpoint.host}',
      URL_STYLE 'path', USE_SSL false)`);
    const sum = await scalar(
      connection,
      `SELECT sum(id) FROM read_csv('s3://${env.OPENFOUNDRY_S3_WAREHOUSE_BUCKET}/${Key}')`,
    );
    expect(Number(sum)).toBe(6);
    connection.closeSync();
    instance.closeSync();
    await s3.send(new DeleteObjectCommand({ Bucket: env.OPENFOUNDRY_S3_WAREHOUSE_BUCKET, Key }));
    s3.destroy();
  });

  it('scans the local Postgres with postgres_scanner', async () => {
    const { instance, connection } = await duck();
    await connection.run('LOAD postgres_scanner');
    const { ports, pg: creds } = loadConfig();
    await connection.run(
      `ATTACH 'host=127.0.0.1 port=${ports.postgres} user=${creds.user} password=${creds.password} dbname=postgres' AS pgdb (TYPE postgres, READ_ONLY)`,
    );
    const count = await scalar(
      connection,
      "SELECT count(*) FROM pgdb.pg_catalog.pg_database WHERE datname = 'postgres'",
    );
    expect(Number(count)).toBe(1);
    connection.closeSync();
    instance.closeSync();
  });
});

describe('port diagnosis', () => {
  it('refuses to start a server on a port that another process holds, naming it', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const { port } = squatter.address() as AddressInfo;
    const state = mkdtempSync(join(tmpdir(), 'of-state-'));
    try {
      await expect(
        up({
          servers: ['redis'],
          env: { ...process.env, OPENFOUNDRY_STATE: state, OPENFOUNDRY_REDIS_PORT: String(port) },
        }),
      ).rejects.toThrow(
        new RegExp(
          `redis: port ${port} is taken by pid ${process.pid} \\(.+\\) — stop it or set OPENFOUNDRY_REDIS_PORT`,
        ),
      );
      expect(existsSync(join(state, 'run', 'redis.pid'))).toBe(false);
    } finally {
      squatter.close();
    }
  });
});
