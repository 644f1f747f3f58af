import {
  type CallOptions,
  type ChannelCredentials,
  type Client,
  type ClientDuplexStream,
  type ClientReadableStream,
  credentials as grpcCredentials,
  Metadata,
  makeGenericClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';
import { type RecordBatch, type Schema, Table, tableToIPC } from 'apache-arrow';
import { decodeSchema, type IpcMessage, splitIpcStream, streamBatches } from '../arrow/ipc.ts';
import { decode, flightServiceDefinition, type Message, packSql, sqlType, unpackSql } from './proto.ts';

type Unary = (
  request: Message,
  metadata: Metadata,
  options: CallOptions,
  callback: (error: ServiceError | null, response: Message) => void,
) => void;
type ServerStream = (
  request: Message,
  metadata: Metadata,
  options?: CallOptions,
) => ClientReadableStream<Message>;
type Duplex = (metadata: Metadata, options?: CallOptions) => ClientDuplexStream<Message, Message>;

interface FlightStub extends Client {
  Handshake: Duplex;
  GetFlightInfo: Unary;
  GetSchema: Unary;
  DoGet: ServerStream;
  DoPut: Duplex;
  DoAction: ServerStream;
  ListActions: ServerStream;
}

const FlightServiceClient = makeGenericClientConstructor(flightServiceDefinition(), 'FlightService');

export interface FlightSqlClientOptions {
  /** host:port */
  address: string;
  user?: string;
  password?: string;
  /** An existing bearer token instead of user and password. */
  token?: string;
  credentials?: ChannelCredentials;
}

export interface PreparedStatementHandle {
  handle: Buffer;
  datasetSchema: Schema;
  parameterSchema: Schema;
}

/**
 * A small Flight SQL client: handshake, statements, prepared statements and metadata
 * commands, results streamed as record batches. Used by tests and by services (P2P).
 */
export class FlightSqlClient {
  private token: string | undefined;

  private constructor(private readonly stub: FlightStub) {}

  static async connect(options: FlightSqlClientOptions): Promise<FlightSqlClient> {
    const stub = new FlightServiceClient(
      options.address,
      options.credentials ?? grpcCredentials.createInsecure(),
      {
        'grpc.max_receive_message_length': -1,
        'grpc.max_send_message_length': -1,
      },
    ) as unknown as FlightStub;
    const client = new FlightSqlClient(stub);
    if (options.token) client.token = options.token;
    else if (options.user !== undefined) await client.handshake(options.user, options.password ?? '');
    return client;
  }

  get bearerToken(): string | undefined {
    return this.token;
  }

  /** Basic credentials in the header, bearer token back in the response header. */
  async handshake(user: string, password: string): Promise<string> {
    const metadata = new Metadata();
    metadata.set('authorization', `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`);
    const token = await new Promise<string>((resolve, reject) => {
      const call = this.stub.Handshake(metadata);
      let fromHeader: string | undefined;
      call.on('metadata', (headers: Metadata) => {
        const value = headers.get('authorization')[0];
        if (typeof value === 'string') fromHeader = value.replace(/^Bearer\s+/i, '');
      });
      call.on('data', () => {});
      call.on('error', reject);
      call.on('end', () =>
        fromHeader ? resolve(fromHeader) : reject(new Error('no bearer token in handshake')),
      );
      call.write({ protocolVersion: 0, payload: Buffer.alloc(0) });
      call.end();
    });
    this.token = token;
    return token;
  }

  private metadata(): Metadata {
    const metadata = new Metadata();
    if (this.token) metadata.set('authorization', `Bearer ${this.token}`);
    return metadata;
  }

  private unary(method: 'GetFlightInfo' | 'GetSchema', request: Message): Promise<Message> {
    return new Promise((resolve, reject) =>
      this.stub[method](request, this.metadata(), {}, (error, response) =>
        error ? reject(error) : resolve(response),
      ),
    );
  }

  async getFlightInfo(command: string, message: Message): Promise<Message> {
    return this.getFlightInfoFor(packSql(command, message));
  }

  /** GetFlightInfo for an already packed command (any type URL). */
  async getFlightInfoFor(cmd: Uint8Array): Promise<Message> {
    return this.unary('GetFlightInfo', { type: 'CMD', cmd });
  }

  async getSchema(command: string, message: Message): Promise<Schema> {
    const result = await this.unary('GetSchema', { type: 'CMD', cmd: packSql(command, message) });
    return decodeSchema(result.schema as Uint8Array);
  }

  /** Streams the batches of every endpoint of a FlightInfo. */
  async *readInfo(info: Message, signal?: AbortSignal): AsyncGenerator<RecordBatch> {
    for (const endpoint of (info.endpoint as Message[]) ?? []) {
      yield* this.doGet((endpoint.ticket as Message).ticket as Uint8Array, signal);
    }
  }

  async *doGet(ticket: Uint8Array, signal?: AbortSignal): AsyncGenerator<RecordBatch> {
    const call = this.stub.DoGet({ ticket }, this.metadata());
    const onAbort = () => call.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    async function* messages(): AsyncGenerator<IpcMessage> {
      for await (const data of call as AsyncIterable<Message>)
        yield { dataHeader: data.dataHeader as Uint8Array, dataBody: data.dataBody as Uint8Array };
    }
    try {
      yield* streamBatches(messages());
    } finally {
      signal?.removeEventListener('abort', onAbort);
      call.cancel();
    }
  }

  async *stream(sql: string, signal?: AbortSignal): AsyncGenerator<RecordBatch> {
    const info = await this.getFlightInfo('CommandStatementQuery', { query: sql });
    yield* this.readInfo(info, signal);
  }

  async query(sql: string): Promise<Table> {
    return collect(this.stream(sql));
  }

  /** Runs a metadata command (CommandGetTables, CommandGetSqlInfo, …) and reads its result. */
  async command(name: string, message: Message = {}): Promise<Table> {
    const info = await this.getFlightInfo(name, message);
    return collect(this.readInfo(info));
  }

  async executeUpdate(sql: string): Promise<number> {
    const result = await this.doPut(packSql('CommandStatementUpdate', { query: sql }));
    return Number(decode(sqlType('DoPutUpdateResult'), result).recordCount);
  }

  async action(type: string, body: Uint8Array): Promise<Buffer[]> {
    const call = this.stub.DoAction({ type, body }, this.metadata());
    const results: Buffer[] = [];
    for await (const result of call as AsyncIterable<Message>) results.push(result.body as Buffer);
    return results;
  }

  async prepare(sql: string): Promise<PreparedStatementHandle> {
    const [body] = await this.action(
      'CreatePreparedStatement',
      packSql('ActionCreatePreparedStatementRequest', { query: sql }),
    );
    const result = unpackSql(body ?? Buffer.alloc(0));
    if (result?.name !== 'ActionCreatePreparedStatementResult') throw new Error('unexpected prepare result');
    return {
      handle: result.message.preparedStatementHandle as Buffer,
      datasetSchema: decodeSchema(result.message.datasetSchema as Uint8Array),
      parameterSchema: decodeSchema(result.message.parameterSchema as Uint8Array),
    };
  }

  /** Binds one or more parameter rows (a table whose columns follow the parameter schema). */
  async bind(statement: PreparedStatementHandle, parameters: Table): Promise<void> {
    await this.doPut(
      packSql('CommandPreparedStatementQuery', { preparedStatementHandle: statement.handle }),
      parameters,
    );
  }

  async executePrepared(statement: PreparedStatementHandle): Promise<Table> {
    const info = await this.getFlightInfo('CommandPreparedStatementQuery', {
      preparedStatementHandle: statement.handle,
    });
    return collect(this.readInfo(info));
  }

  async executePreparedUpdate(statement: PreparedStatementHandle, parameters?: Table): Promise<number> {
    const result = await this.doPut(
      packSql('CommandPreparedStatementUpdate', { preparedStatementHandle: statement.handle }),
      parameters,
    );
    return Number(decode(sqlType('DoPutUpdateResult'), result).recordCount);
  }

  async closePrepared(statement: PreparedStatementHandle): Promise<void> {
    await this.action(
      'ClosePreparedStatement',
      packSql('ActionClosePreparedStatementRequest', { preparedStatementHandle: statement.handle }),
    );
  }

  /** Sends the descriptor (with the schema) and the batches of `data`; the first PutResult's app_metadata. */
  async doPut(cmd: Buffer, data?: Table): Promise<Buffer> {
    const call = this.stub.DoPut(this.metadata());
    const results: Buffer[] = [];
    const done = new Promise<void>((resolve, reject) => {
      call.on('data', (result: Message) => results.push(result.appMetadata as Buffer));
      call.on('error', reject);
      call.on('end', resolve);
    });
    const descriptor = { type: 'CMD', cmd };
    if (data) {
      const messages = splitIpcStream(tableToIPC(data, 'stream'));
      messages.forEach((message, i) => {
        call.write({
          ...(i === 0 ? { flightDescriptor: descriptor } : {}),
          dataHeader: message.dataHeader,
          dataBody: message.dataBody,
        });
      });
    } else {
      call.write({ flightDescriptor: descriptor });
    }
    call.end();
    await done;
    return results[0] ?? Buffer.alloc(0);
  }

  close(): void {
    this.stub.close();
  }
}

async function collect(batches: AsyncIterable<RecordBatch>): Promise<Table> {
  const all: RecordBatch[] = [];
  for await (const batch of batches) all.push(batch);
  return new Table(all);
}
