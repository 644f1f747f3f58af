import {
  DataType,
  type ISessionContext,
  nodesets,
  OPCUAServer,
  StatusCodes,
  type UAVariable,
  Variant,
} from 'node-opcua';

type VariableName = 'Temperature' | 'Pressure' | 'Setpoint' | 'Level';

export interface TestOpcuaServer {
  endpoint: string;
  /** Sets a variable's value as a device would: monitored items see it on their next sample. */
  set(name: VariableName, value: number): void;
  get(name: VariableName): number;
  raiseAlarm(message: string, severity: number): void;
  resets: number[];
  stop(): Promise<void>;
}

/**
 * A real OPC UA server on loopback: object Press1 with Temperature (read-only), Pressure (read-only)
 * and Setpoint (writable) doubles, Level (an analog item ranging 0..200), a method Reset(level: Int32) → previous temperature, and events
 * raised on the Server object.
 */
export async function startOpcuaServer(port: number): Promise<TestOpcuaServer> {
  const server = new OPCUAServer({
    port,
    resourcePath: '/UA/OpenFoundryTest',
    nodeset_filename: [nodesets.standard],
    buildInfo: { productName: 'openfoundry-test-plc' },
  });
  await server.initialize();
  const addressSpace = server.engine.addressSpace;
  if (!addressSpace) throw new Error('no address space');
  const ns = addressSpace.getOwnNamespace();
  const press = ns.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: 'Press1' });
  const variables = {} as Record<VariableName, UAVariable>;
  for (const [name, writable, initial] of [
    ['Temperature', false, 20],
    ['Pressure', false, 10],
    ['Setpoint', true, 100],
  ] as const) {
    variables[name] = ns.addVariable({
      componentOf: press,
      browseName: name,
      nodeId: `s=Press1.${name}`,
      dataType: 'Double',
      minimumSamplingInterval: 50,
      accessLevel: writable ? 'CurrentRead | CurrentWrite' : 'CurrentRead',
      userAccessLevel: writable ? 'CurrentRead | CurrentWrite' : 'CurrentRead',
      value: new Variant({ dataType: DataType.Double, value: initial }),
    });
  }
  // An analog item with an engineering range 0..200, so a percent deadband has a base.
  variables.Level = ns.addAnalogDataItem({
    componentOf: press,
    browseName: 'Level',
    nodeId: 's=Press1.Level',
    dataType: 'Double',
    minimumSamplingInterval: 50,
    engineeringUnitsRange: { low: 0, high: 200 },
    value: new Variant({ dataType: DataType.Double, value: 50 }),
  });
  const resets: number[] = [];
  const reset = ns.addMethod(press, {
    browseName: 'Reset',
    nodeId: 's=Press1.Reset',
    inputArguments: [{ name: 'level', dataType: DataType.Int32, description: 'reset level' }],
    outputArguments: [{ name: 'previous', dataType: DataType.Double, description: 'temperature before' }],
  });
  reset.bindMethod(async (inputArguments: Variant[], _context: ISessionContext) => {
    resets.push(inputArguments[0]?.value as number);
    return {
      statusCode: StatusCodes.Good,
      outputArguments: [new Variant({ dataType: DataType.Double, value: get('Temperature') })],
    };
  });
  await server.start();
  const get = (name: keyof typeof variables) => variables[name].readValue().value.value as number;
  const baseEvent = addressSpace.findEventType('BaseEventType');
  return {
    endpoint: `opc.tcp://127.0.0.1:${port}/UA/OpenFoundryTest`,
    set: (name, value) =>
      variables[name].setValueFromSource(new Variant({ dataType: DataType.Double, value }), StatusCodes.Good),
    get,
    raiseAlarm: (message, severity) => {
      if (!baseEvent) throw new Error('no BaseEventType');
      addressSpace.rootFolder.objects.server.raiseEvent(baseEvent, {
        message: { dataType: DataType.LocalizedText, value: { text: message } },
        severity: { dataType: DataType.UInt16, value: severity },
        sourceName: { dataType: DataType.String, value: 'Press1' },
      });
    },
    resets,
    stop: () => server.shutdown(0),
  };
}
