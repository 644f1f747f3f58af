export { Checksum, eventHash, eventHashInput, type HashableEvent } from './checksum.ts';
export {
  type DeclaredDeviceSpec,
  type DeviceOptions,
  declaredDeviceSpec,
  deviceSpecs,
  devicesYaml,
  httpDeviceId,
} from './devices.ts';
export {
  type AssetSpec,
  type AttributeSpec,
  attributeSpecs,
  type FactoryLayout,
  factoryLayout,
  LayoutError,
  PROTOCOLS,
  type Protocol,
  type Value,
  type ValueKind,
} from './layout.ts';
export type { ProtocolDriver, ProtocolStats } from './protocols/driver.ts';
export { type HttpOptions, type IngestItem, ingestUrl } from './protocols/http.ts';
export { type MqttOptions, mqttPayload, mqttTopic } from './protocols/mqtt.ts';
export {
  OPCUA_RESOURCE_PATH,
  OpcUaDriver,
  opcuaEndpoint,
  opcuaNodeId,
  RESET_METHOD,
  SETPOINT,
  SETPOINT_DEFAULT,
} from './protocols/opcua.ts';
export { type Clock, pace, parseDuration, systemClock, TokenBucket } from './rate.ts';
export {
  type Progress,
  type ProtocolSummary,
  type SimSummary,
  Simulator,
  type SimulatorOptions,
} from './simulator.ts';
export {
  type AssetTruth,
  readTruth,
  type SimEvent,
  TRUTH_STATUSES,
  type TruthEntry,
  TruthLog,
  type TruthStatus,
  TruthTally,
  truthLastValues,
  truthSummary,
} from './truth.ts';
export { ValueGenerator } from './values.ts';
