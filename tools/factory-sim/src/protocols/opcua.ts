import type { DataType, Namespace, OPCUAServer, UAObject, UAVariable, Variant } from 'node-opcua';
import type { AssetSpec, AttributeSpec, ValueKind } from '../layout.ts';
import type { SimEvent } from '../truth.ts';
import { emptyStats, type OutcomeListener, type ProtocolDriver, type ProtocolStats } from './driver.ts';

export interface OpcUaOptions {
  port: number;
  /** The host name in the endpoint URL and the address it listens on. */
  host?: string;
  tenant: string;
  assets: AssetSpec[];
  attributes: AttributeSpec[];
  /** Every asset raises one event for this many updates of its first attribute. */
  eventEvery?: number;
}

export const OPCUA_RESOURCE_PATH = '/factory';
export const SETPOINT = 'setpoint';
export const SETPOINT_DEFAULT = 50;
export const RESET_METHOD = 'Reset';

/** `ns=1;s=<asset>.<attribute>` (namespace 1 is the server's own). */
export function opcuaNodeId(asset: string, attribute?: string): string {
  return attribute === undefined ? `ns=1;s=${asset}` : `ns=1;s=${asset}.${attribute}`;
}

export function opcuaEndpoint(host: string, port: number): string {
  return `opc.tcp://${host}:${port}${OPCUA_RESOURCE_PATH}`;
}

// node-opcua takes a while to load: it is imported when an OPC UA server starts, not before.
type NodeOpcua = typeof import('node-opcua');

function dataTypes(ua: NodeOpcua): Record<ValueKind, DataType> {
  const { DataType } = ua;
  return {
    double: DataType.Double,
    long: DataType.Int32,
    boolean: DataType.Boolean,
    string: DataType.String,
  };
}

const INITIAL: Record<ValueKind, number | boolean | string> = {
  double: 0,
  long: 0,
  boolean: false,
  string: '',
};

interface AssetNodes {
  object: UAObject;
  variables: Map<string, { variable: UAVariable; dataType: DataType }>;
  setpoint: number;
  setpointWrites: number;
  events: number;
}

/**
 * An OPC UA server with one object per asset under Objects, one variable per attribute, a
 * writable `setpoint` and a `Reset` method (setpoint back to its default). Each generated event
 * sets its variable, which counts as acked; clients sample, so they see the latest values only.
 */
export class OpcUaDriver implements ProtocolDriver {
  readonly protocol = 'opcua' as const;
  readonly #options: OpcUaOptions;
  readonly #outcome: OutcomeListener;
  readonly #stats = emptyStats();
  readonly #assets = new Map<string, AssetNodes>();
  #server: OPCUAServer | undefined;
  #ua: NodeOpcua | undefined;
  #stopping = false;
  eventsRaised = 0;

  constructor(options: OpcUaOptions, outcome: OutcomeListener) {
    this.#options = options;
    this.#outcome = outcome;
  }

  get endpoint(): string {
    return opcuaEndpoint(this.#options.host ?? '127.0.0.1', this.#options.port);
  }

  async start(): Promise<void> {
    const host = this.#options.host ?? '127.0.0.1';
    const ua = await import('node-opcua');
    this.#ua = ua;
    const server = new ua.OPCUAServer({
      port: this.#options.port,
      host,
      hostname: host,
      resourcePath: OPCUA_RESOURCE_PATH,
      buildInfo: { productName: 'OpenFoundry factory-sim', manufacturerName: 'OpenFoundry' },
    });
    await server.initialize();
    const addressSpace = server.engine.addressSpace;
    if (!addressSpace) throw new Error('the OPC UA server has no address space');
    const namespace = addressSpace.getOwnNamespace();
    for (const asset of this.#options.assets)
      this.#addAsset(ua, namespace, addressSpace.rootFolder.objects, asset);
    await server.start();
    this.#server = server;
  }

  #addAsset(ua: NodeOpcua, namespace: Namespace, objects: UAObject, asset: AssetSpec): void {
    const { DataType, StatusCodes, Variant } = ua;
    const types = dataTypes(ua);
    const object = namespace.addObject({
      organizedBy: objects,
      browseName: asset.id,
      nodeId: `s=${asset.id}`,
      eventNotifier: 1,
    });
    const nodes: AssetNodes = {
      object,
      variables: new Map(),
      setpoint: SETPOINT_DEFAULT,
      setpointWrites: 0,
      events: 0,
    };
    for (const attribute of this.#options.attributes) {
      const dataType = types[attribute.kind];
      const variable = namespace.addVariable({
        componentOf: object,
        browseName: attribute.name,
        nodeId: `s=${asset.id}.${attribute.name}`,
        dataType,
        minimumSamplingInterval: 0,
      });
      variable.setValueFromSource(
        { dataType, value: INITIAL[attribute.kind] },
        StatusCodes.BadWaitingForInitialData,
      );
      nodes.variables.set(attribute.name, { variable, dataType });
    }
    namespace.addVariable({
      componentOf: object,
      browseName: SETPOINT,
      nodeId: `s=${asset.id}.${SETPOINT}`,
      dataType: DataType.Double,
      minimumSamplingInterval: 100,
      accessLevel: 'CurrentRead | CurrentWrite',
      userAccessLevel: 'CurrentRead | CurrentWrite',
      value: {
        get: () => new Variant({ dataType: DataType.Double, value: nodes.setpoint }),
        set: (variant: Variant) => {
          if (typeof variant.value !== 'number' || !Number.isFinite(variant.value))
            return StatusCodes.BadTypeMismatch;
          nodes.setpoint = variant.value;
          this.#outcome(
            {
              tenant: this.#options.tenant,
              asset: asset.id,
              attribute: SETPOINT,
              seq: nodes.setpointWrites++,
              value: variant.value,
              ts: new Date().toISOString(),
            },
            'written',
          );
          return StatusCodes.Good;
        },
      },
    });
    const reset = namespace.addMethod(object, {
      browseName: RESET_METHOD,
      nodeId: `s=${asset.id}.${RESET_METHOD}`,
      inputArguments: [],
      outputArguments: [],
    });
    // bindMethod tells the promise form from the callback form by the parameter count.
    reset.bindMethod(async (_inputArguments: unknown, _context: unknown) => {
      nodes.setpoint = SETPOINT_DEFAULT;
      this.#raise(nodes, `${asset.id} reset`, 300);
      return { statusCode: StatusCodes.Good };
    });
    this.#assets.set(asset.id, nodes);
  }

  #raise(nodes: AssetNodes, message: string, severity: number): void {
    const { DataType, LocalizedText } = this.#ua as NodeOpcua;
    nodes.events++;
    this.eventsRaised++;
    nodes.object.raiseEvent('BaseEventType', {
      message: { dataType: DataType.LocalizedText, value: new LocalizedText({ text: message }) },
      severity: { dataType: DataType.UInt16, value: severity },
    });
  }

  async ready(): Promise<boolean> {
    return !this.#stopping;
  }

  send(event: SimEvent): void {
    const nodes = this.#assets.get(event.asset);
    const slot = nodes?.variables.get(event.attribute);
    if (!nodes || !slot) throw new Error(`no OPC UA variable for ${event.asset}.${event.attribute}`);
    this.#stats.sent++;
    const { StatusCodes } = this.#ua as NodeOpcua;
    slot.variable.setValueFromSource(
      { dataType: slot.dataType, value: event.value },
      StatusCodes.Good,
      new Date(event.ts),
    );
    this.#stats.acked++;
    this.#outcome(event, 'acked');
    const eventEvery = this.#options.eventEvery ?? 100;
    if (event.attribute === this.#options.attributes[0]?.name && event.seq % eventEvery === eventEvery - 1) {
      this.#raise(nodes, `${event.asset} completed ${event.seq + 1} cycles`, 100);
    }
  }

  async drain(): Promise<void> {
    this.#stopping = true;
  }

  async close(): Promise<void> {
    this.#stopping = true;
    await this.#server?.shutdown(0);
    this.#server = undefined;
  }

  /** The setpoint of an asset (what clients wrote, or the default after Reset). */
  setpoint(asset: string): number | undefined {
    return this.#assets.get(asset)?.setpoint;
  }

  stats(): ProtocolStats {
    return { ...this.#stats };
  }
}
