import type { DeviceCommand, PointMapping } from '@openfoundry/bus-registry';
import {
  AttributeIds,
  BrowseDirection,
  type ClientMonitoredItem,
  type ClientSession,
  ClientSubscription,
  constructEventFilter,
  DataChangeFilter,
  DataChangeTrigger,
  DataType,
  type DataValue,
  DeadbandType,
  MessageSecurityMode,
  makeBrowsePath,
  type NodeId,
  OPCUACertificateManager,
  OPCUAClient,
  resolveNodeId,
  SecurityPolicy,
  type StatusCode,
  StatusCodes,
  TimestampsToReturn,
  UserTokenType,
  type Variant,
} from 'node-opcua';
import { type CommandResult, DeviceRuntime } from '../../devices/device-runtime.ts';
import type { Observation } from '../../ingest/normalise.ts';
import { atMost, STOP_STEP_MS } from './at-most.ts';
import { qualityOf, variantValue } from './values.ts';

/** The fields of every event a point of kind `event`/`condition` reports, as one json value. */
const EVENT_FIELDS = ['EventId', 'EventType', 'SourceName', 'Time', 'Message', 'Severity'];
const SERVER_OBJECT = 'ns=0;i=2253';
const REFUSED = new Set([StatusCodes.BadNotWritable.value, StatusCodes.BadUserAccessDenied.value]);
const INVALID = new Set([
  StatusCodes.BadTypeMismatch.value,
  StatusCodes.BadInvalidArgument.value,
  StatusCodes.BadArgumentsMissing.value,
  StatusCodes.BadTooManyArguments.value,
  StatusCodes.BadOutOfRange.value,
  StatusCodes.BadNodeIdUnknown.value,
  StatusCodes.BadMethodInvalid.value,
]);

/**
 * An OPC UA device: one session, one subscription with a monitored item per point. The client
 * reconnects on its own and, when the server lost the session (a restart), opens a new one and
 * recreates the subscription with its monitored items.
 */
export class OpcuaDevice extends DeviceRuntime {
  private client: OPCUAClient | undefined;
  private session: ClientSession | undefined;
  private subscription: ClientSubscription | undefined;
  private stopped = false;
  /** Data changes are published one at a time, in the order the server sent them. */
  private chain: Promise<unknown> = Promise.resolve();

  async start(): Promise<void> {
    const client = OPCUAClient.create({
      applicationName: 'openfoundry-connector-service',
      // A store of this service's own: node-opcua's shared default one may hold a certificate made
      // for another application URI (warning W06). The manager is per client, since a client
      // disposes of its manager when it disconnects; clients share the folder and its certificate.
      ...(this.deps.opcuaPkiDir
        ? {
            clientCertificateManager: new OPCUACertificateManager({
              rootFolder: this.deps.opcuaPkiDir,
              automaticallyAcceptUnknownCertificate: true,
            }),
          }
        : {}),
      endpointMustExist: false,
      securityMode: MessageSecurityMode.None,
      securityPolicy: SecurityPolicy.None,
      keepSessionAlive: true,
      requestedSessionTimeout: 60_000,
      connectionStrategy: { initialDelay: 200, maxDelay: 5_000, maxRetry: Number.MAX_SAFE_INTEGER },
    });
    this.client = client;
    client.on('connection_lost', () => this.setStatus('offline', 'connection lost; reconnecting'));
    client.on('backoff', (retry: number) =>
      this.setStatus('offline', `cannot reach ${this.spec.endpoint} (attempt ${retry})`),
    );
    client.on('after_reconnection', (error?: Error | null) => {
      if (error) this.setStatus('error', error.message);
      else this.setStatus('online');
    });
    void this.connect(client);
  }

  private async connect(client: OPCUAClient): Promise<void> {
    try {
      await client.connect(this.spec.endpoint as string);
      if (this.stopped) return;
      const { credentials } = this.spec;
      const session = await client.createSession(
        credentials
          ? { type: UserTokenType.UserName, userName: credentials.username, password: credentials.password }
          : undefined,
      );
      this.session = session;
      session.on('session_restored', () => this.setStatus('online'));
      await this.subscribe(session);
      this.setStatus('online');
    } catch (error) {
      if (!this.stopped) this.setStatus('error', (error as Error).message);
    }
  }

  private async subscribe(session: ClientSession): Promise<void> {
    const interval = this.spec.sampling?.intervalMs ?? 250;
    const subscription = ClientSubscription.create(session, {
      requestedPublishingInterval: Math.max(50, Math.min(interval, 1_000)),
      requestedLifetimeCount: 600,
      requestedMaxKeepAliveCount: 20,
      maxNotificationsPerPublish: 1_000,
      publishingEnabled: true,
      priority: 10,
    });
    this.subscription = subscription;
    const problems: string[] = [];
    for (const point of this.spec.points) {
      try {
        await this.monitor(session, subscription, point);
      } catch (error) {
        problems.push(`${point.nodeId ?? point.browsePath}: ${(error as Error).message}`);
      }
    }
    if (problems.length > 0) throw new Error(`points not monitored: ${problems.join('; ')}`);
  }

  private async monitor(session: ClientSession, subscription: ClientSubscription, point: PointMapping) {
    const isEvent = point.kind === 'event' || point.kind === 'condition';
    const nodeId = await this.resolve(
      session,
      point.nodeId ?? point.browsePath ?? (isEvent ? SERVER_OBJECT : ''),
    );
    const location = point.nodeId ?? point.browsePath ?? SERVER_OBJECT;
    if (isEvent) {
      const item = await subscription.monitor(
        { nodeId, attributeId: AttributeIds.EventNotifier },
        { queueSize: 100, discardOldest: true, filter: constructEventFilter(EVENT_FIELDS) },
        TimestampsToReturn.Neither,
      );
      item.on('changed', (fields: unknown) => this.onEvent(point, location, fields as Variant[]));
      return;
    }
    const deadband = point.deadband ?? this.spec.sampling?.deadband;
    const filter = deadband
      ? new DataChangeFilter({
          trigger: DataChangeTrigger.StatusValue,
          deadbandType: deadband.type === 'percent' ? DeadbandType.Percent : DeadbandType.Absolute,
          deadbandValue: deadband.value,
        })
      : undefined;
    const item: ClientMonitoredItem = await subscription.monitor(
      { nodeId, attributeId: AttributeIds.Value },
      {
        samplingInterval: point.samplingIntervalMs ?? this.spec.sampling?.intervalMs ?? 250,
        queueSize: 100,
        discardOldest: true,
        ...(filter ? { filter } : {}),
      },
      TimestampsToReturn.Both,
    );
    const status = item.statusCode;
    if (status?.isBad()) throw new Error(status.name);
    item.on('changed', (value: DataValue) => this.onDataChange(point, location, value));
  }

  private async resolve(session: ClientSession, ref: string): Promise<NodeId> {
    if (!ref.startsWith('/')) return resolveNodeId(ref);
    const [result] = await session.translateBrowsePath([makeBrowsePath('ObjectsFolder', ref)]);
    const target = result?.targets?.[0]?.targetId;
    if (!result?.statusCode.isGood() || !target)
      throw new Error(`browse path ${ref}: ${result?.statusCode.name}`);
    return target as NodeId;
  }

  private onDataChange(point: PointMapping, location: string, dataValue: DataValue) {
    const { value, inferred } = variantValue(dataValue.value);
    const observation: Observation = {
      asset: point.asset ?? this.spec.id,
      attribute: point.attribute ?? 'value',
      kind: point.kind,
      value,
      valueType: point.valueType ?? (inferred === 'double' || inferred === 'long' ? inferred : undefined),
      unit: point.unit,
      quality: qualityOf(dataValue.statusCode),
      ts: dataValue.sourceTimestamp?.getTime() ?? dataValue.serverTimestamp?.getTime(),
    };
    this.enqueue(observation, { value, status: dataValue.statusCode?.name }, location);
  }

  private onEvent(point: PointMapping, location: string, fields: Variant[]) {
    const value: Record<string, unknown> = {};
    EVENT_FIELDS.forEach((name, i) => {
      value[name] = variantValue(fields[i]).value;
    });
    const observation: Observation = {
      asset: point.asset ?? this.spec.id,
      attribute: point.attribute ?? 'event',
      kind: point.kind,
      value,
      valueType: 'json',
    };
    this.enqueue(observation, value, location);
  }

  private enqueue(observation: Observation, raw: unknown, location: string) {
    const bytes = () => Buffer.from(JSON.stringify(raw) ?? 'null');
    this.chain = this.chain
      .then(() => this.deps.sink.room())
      .then(() => this.ingest([{ observation, raw: bytes, location }]))
      .catch((error: Error) =>
        // The server does not resend a data change: a failed publish is logged as lost.
        this.deps.log('error', 'an OPC UA data change could not be published', {
          device: this.key,
          location,
          err: error.message,
        }),
      );
  }

  /**
   * Closes subscription, session and connection, each given at most STOP_STEP_MS: a server that
   * stopped answering must not hold up a handover or the replica's shutdown (the session then
   * expires on the server by itself).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    const { client, session, subscription } = this;
    this.client = this.session = this.subscription = undefined;
    await atMost(subscription?.terminate(), STOP_STEP_MS);
    await atMost(session?.close(), STOP_STEP_MS);
    await atMost(client?.disconnect(), STOP_STEP_MS);
    await this.chain;
    this.setStatus('offline', 'stopped');
  }

  async command(command: DeviceCommand): Promise<CommandResult> {
    const session = this.session;
    if (!session || this.status !== 'online')
      return { ok: false, code: 'offline', message: `${this.key} is not connected` };
    if (command.action === 'write') return this.write(session, command);
    if (command.action === 'call') return this.call(session, command);
    return { ok: false, code: 'invalid', message: 'OPC UA devices take write and call commands' };
  }

  private async write(session: ClientSession, command: DeviceCommand): Promise<CommandResult> {
    const point = this.pointFor(command);
    if (!point || !(point.nodeId || point.browsePath))
      return {
        ok: false,
        code: 'invalid',
        message: `${command.assetId} has no OPC UA point ${command.target}`,
      };
    if (!point.writable) return { ok: false, code: 'refused', message: `${command.target} is not writable` };
    if (command.arguments === undefined || command.arguments === null)
      return { ok: false, code: 'invalid', message: 'a write needs a value' };
    const nodeId = await this.resolve(session, point.nodeId ?? (point.browsePath as string));
    const current = await session.read({ nodeId, attributeId: AttributeIds.DataType });
    const dataTypeId = current.value.value as NodeId | undefined;
    const dataType =
      dataTypeId && dataTypeId.namespace === 0 ? (dataTypeId.value as DataType) : DataType.Variant;
    let status: StatusCode;
    try {
      status = await session.write({
        nodeId,
        attributeId: AttributeIds.Value,
        value: { value: { dataType, value: command.arguments } },
      });
    } catch (error) {
      // The client could not encode the value as the node's data type.
      return { ok: false, code: 'invalid', message: (error as Error).message };
    }
    return this.outcome(status, { nodeId: nodeId.toString() });
  }

  private async call(session: ClientSession, command: DeviceCommand): Promise<CommandResult> {
    const target = command.target;
    let methodId: NodeId;
    let objectId: NodeId;
    try {
      methodId = await this.resolve(session, target);
      if (target.startsWith('/')) {
        objectId = await this.resolve(session, target.slice(0, target.lastIndexOf('/')) || '/');
      } else {
        const parents = await session.browse({
          nodeId: methodId,
          browseDirection: BrowseDirection.Inverse,
          referenceTypeId: 'HasComponent',
          includeSubtypes: true,
          resultMask: 0x3f,
        });
        const parent = parents.references?.[0]?.nodeId;
        if (!parent) return { ok: false, code: 'invalid', message: `${target} belongs to no object` };
        objectId = parent;
      }
    } catch (error) {
      return { ok: false, code: 'invalid', message: (error as Error).message };
    }
    const args = command.arguments === undefined || command.arguments === null ? [] : command.arguments;
    if (!Array.isArray(args))
      return { ok: false, code: 'invalid', message: 'call arguments are a JSON array' };
    const { inputArguments } = await session.getArgumentDefinition(methodId);
    if (inputArguments.length !== args.length)
      return { ok: false, code: 'invalid', message: `${target} takes ${inputArguments.length} argument(s)` };
    const result = await session.call({
      objectId,
      methodId,
      inputArguments: inputArguments.map((definition, i) => ({
        dataType:
          definition.dataType.namespace === 0 ? (definition.dataType.value as DataType) : DataType.Variant,
        value: args[i],
      })),
    });
    return this.outcome(result.statusCode, {
      outputArguments: (result.outputArguments ?? []).map((v) => variantValue(v).value),
    });
  }

  private outcome(
    status: { value: number; name: string; isGood(): boolean },
    result: unknown,
  ): CommandResult {
    if (status.isGood()) return { ok: true, result };
    if (REFUSED.has(status.value))
      return { ok: false, code: 'refused', message: `the server answered ${status.name}` };
    if (INVALID.has(status.value))
      return { ok: false, code: 'invalid', message: `the server answered ${status.name}` };
    return { ok: false, code: 'error', message: `the server answered ${status.name}` };
  }
}
