import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Client,
  type ClientReadableStream,
  credentials,
  Metadata,
  makeGenericClientConstructor,
} from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flightServiceDefinition } from '../src/flight/proto.ts';
import {
  DuckDBBackend,
  decode,
  encode,
  FlightSqlClient,
  FlightSqlServer,
  flightType,
  type Message,
  packSql,
  parseStaticUsers,
  readBatches,
  StaticAuthProvider,
} from '../src/index.ts';

// Session options keyed by the arrow_flight_session_id cookie, scoped to the user; token fallback.
type ServerStream = (request: Message, metadata: Metadata) => ClientReadableStream<Message>;
interface Stub extends Client {
  DoAction: ServerStream;
  DoGet: ServerStream;
  GetFlightInfo: (
    request: Message,
    metadata: Metadata,
    callback: (e: Error | null, r: Message) => void,
  ) => void;
}
const Stub = makeGenericClientConstructor(flightServiceDefinition(), 'FlightService');

let backend: DuckDBBackend;
let server: FlightSqlServer;
let address: string;
let stub: Stub;

interface Caller {
  token: string;
  cookie?: string | undefined;
}

function headers({ token, cookie }: Caller): Metadata {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  if (cookie) metadata.set('cookie', `other=1; ${cookie}`);
  return metadata;
}

/** Runs an action; returns its result bodies and the set-cookie header of the response. */
async function action(type: string, body: Uint8Array, caller: Caller) {
  const call = stub.DoAction({ type, body }, headers(caller));
  let setCookie: string | undefined;
  call.on('metadata', (metadata: Metadata) => {
    setCookie = metadata.get('set-cookie')[0] as string | undefined;
  });
  const bodies: Buffer[] = [];
  for await (const result of call as AsyncIterable<Message>) bodies.push(result.body as Buffer);
  return { bodies, setCookie };
}

async function setOptions(caller: Caller, options: Record<string, string>) {
  const sessionOptions = Object.fromEntries(
    Object.entries(options).map(([key, value]) => [key, { stringValue: value }]),
  );
  const { bodies, setCookie } = await action(
    'SetSessionOptions',
    encode(flightType('SetSessionOptionsRequest'), { sessionOptions }),
    caller,
  );
  expect(decode(flightType('SetSessionOptionsResult'), bodies[0] as Buffer).errors).toEqual({});
  return setCookie;
}

async function getOptions(caller: Caller): Promise<Record<string, unknown>> {
  const { bodies } = await action(
    'GetSessionOptions',
    encode(flightType('GetSessionOptionsRequest'), {}),
    caller,
  );
  const options = decode(flightType('GetSessionOptionsResult'), bodies[0] as Buffer).sessionOptions as
    | Record<string, Message>
    | undefined;
  return Object.fromEntries(Object.entries(options ?? {}).map(([key, value]) => [key, value.stringValue]));
}

/** The session's current schema, as an unqualified statement sees it. */
async function currentSchema(caller: Caller): Promise<string> {
  const info = await new Promise<Message>((resolve, reject) =>
    stub.GetFlightInfo(
      { type: 'CMD', cmd: packSql('CommandStatementQuery', { query: 'select current_schema() as s' }) },
      headers(caller),
      (error, response) => (error ? reject(error) : resolve(response)),
    ),
  );
  const [endpoint] = info.endpoint as Message[];
  const ticket = (endpoint?.ticket as Message | undefined)?.ticket;
  const messages = [];
  for await (const data of stub.DoGet({ ticket }, headers(caller)) as AsyncIterable<Message>)
    messages.push({ dataHeader: data.dataHeader as Uint8Array, dataBody: data.dataBody as Uint8Array });
  const [batch] = readBatches(messages).batches;
  return String(batch?.getChild('s')?.get(0));
}

async function login(user: string): Promise<string> {
  const client = await FlightSqlClient.connect({ address, user, password: 'pw' });
  client.close();
  return client.bearerToken as string;
}

const cookieOf = (setCookie: string | undefined) => setCookie?.split(';')[0];

beforeAll(async () => {
  backend = await DuckDBBackend.create();
  server = new FlightSqlServer({
    backend,
    auth: new StaticAuthProvider(parseStaticUsers('ann:pw bob:pw'), backend.catalogs),
  });
  address = `127.0.0.1:${await server.listen('127.0.0.1', 0)}`;
  stub = new Stub(address, credentials.createInsecure()) as unknown as Stub;
  const admin = await FlightSqlClient.connect({ address, user: 'ann', password: 'pw' });
  await admin.executeUpdate('create schema reports');
  admin.close();
});

afterAll(async () => {
  stub?.close();
  await server?.close(1_000);
  await backend?.close();
});

describe('session cookies', () => {
  it('sets a session cookie when SetSessionOptions opens a session, and keys the session by it', async () => {
    const setCookie = await setOptions({ token: await login('ann') }, { schema: 'reports' });
    expect(setCookie).toMatch(/^arrow_flight_session_id=[\w-]{16,}$/);
    // Another connection of the same user, with its own token, finds the session by the cookie alone.
    const other = { token: await login('ann'), cookie: cookieOf(setCookie) };
    expect(await getOptions(other)).toEqual({ schema: 'reports' });
    expect(await currentSchema(other)).toBe('reports');
    expect(await getOptions({ token: other.token })).toEqual({});
    expect(await currentSchema({ token: other.token })).toBe('main');
  });

  it('updates the session the cookie names without setting a new cookie', async () => {
    const token = await login('ann');
    const cookie = cookieOf(await setOptions({ token }, { schema: 'reports' }));
    expect(await setOptions({ token, cookie }, { catalog: 'duckdb' })).toBeUndefined();
    expect(await getOptions({ token: await login('ann'), cookie })).toEqual({
      catalog: 'duckdb',
      schema: 'reports',
    });
  });

  it("gives another user nothing for someone else's cookie", async () => {
    const cookie = cookieOf(await setOptions({ token: await login('ann') }, { schema: 'reports' }));
    const bob = { token: await login('bob'), cookie };
    expect(await getOptions(bob)).toEqual({});
    expect(await currentSchema(bob)).toBe('main');
    const bobsCookie = cookieOf(await setOptions(bob, { schema: 'main' }));
    expect(bobsCookie).toBeDefined();
    expect(bobsCookie).not.toBe(cookie);
    expect(await getOptions({ token: await login('ann'), cookie })).toEqual({ schema: 'reports' });
  });

  it('keeps the session by bearer token for a client that does not send cookies', async () => {
    const token = await login('ann');
    await setOptions({ token }, { schema: 'reports' });
    expect(await getOptions({ token })).toEqual({ schema: 'reports' });
    expect(await currentSchema({ token })).toBe('reports');
  });

  it('ends the session on CloseSession and expires the cookie', async () => {
    const token = await login('ann');
    const cookie = cookieOf(await setOptions({ token }, { schema: 'reports' }));
    const closed = await action('CloseSession', encode(flightType('CloseSessionRequest'), {}), {
      token,
      cookie,
    });
    expect(decode(flightType('CloseSessionResult'), closed.bodies[0] as Buffer).status).toBe(1);
    expect(closed.setCookie).toBe('arrow_flight_session_id=; Max-Age=0');
    expect(await getOptions({ token, cookie })).toEqual({});
    expect(await getOptions({ token })).toEqual({});
  });
});

describe('idle sessions', () => {
  it('end once unused for the idle time', async () => {
    const idleServer = new FlightSqlServer({
      backend,
      auth: new StaticAuthProvider(parseStaticUsers('ann:pw'), backend.catalogs),
      sessionIdleMs: 100,
    });
    const port = await idleServer.listen('127.0.0.1', 0);
    const idleStub = new Stub(`127.0.0.1:${port}`, credentials.createInsecure()) as unknown as Stub;
    const previous = stub;
    stub = idleStub;
    try {
      const client = await FlightSqlClient.connect({
        address: `127.0.0.1:${port}`,
        user: 'ann',
        password: 'pw',
      });
      const token = client.bearerToken as string;
      client.close();
      const cookie = cookieOf(await setOptions({ token }, { schema: 'reports' }));
      await sleep(300);
      expect(await getOptions({ token, cookie })).toEqual({});
    } finally {
      stub = previous;
      idleStub.close();
      await idleServer.close(1_000);
    }
  });
});
