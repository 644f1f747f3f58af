export { type Acceptor, acceptorOf, compileAcceptor, parsePayload } from './acceptor.ts';
export { jsonSchemaOf, registrySchemaFiles } from './jsonschema.ts';
export {
  LINEAGE_HEADER,
  LINEAGE_HEADERS,
  lineageHeader,
  lineageHeaderParts,
  lineageHeaders,
  parseLineage,
  rfc3339,
} from './lineage.ts';
export {
  BusError,
  BusErrorCode,
  type BusMessage,
  type Lineage,
  type MessageHandler,
  PoisonMessageError,
} from './messages.ts';
export {
  CONTROL_KINDS,
  CONTROL_MAX_PAYLOAD_BYTES,
  type ControlKind,
  DATA_KINDS,
  DAY_MS,
  type DataKind,
  defineRegistry,
  OPAQUE_SCHEMA,
  type PayloadSchema,
  payloadSchema,
  type Registry,
  type RepeatRule,
  SCHEMA_BASE_URL,
  type StreamConsumer,
  type StreamDef,
  type SubjectDef,
  stream,
  subject,
  type TopicConsumer,
  type TopicDef,
  topic,
} from './model.ts';
export {
  deadLetterTopicName,
  domainOf,
  fillSubject,
  groupPrefix,
  SubjectError,
  type SubjectTokens,
  streamPrefix,
  subjectMatches,
  subjectPlaceholders,
  subjectTemplateProblem,
  subjectWildcard,
} from './naming.ts';
export { platformRegistry, streams, subjects, topics } from './platform.ts';
export * from './schemas/assets.ts';
export * from './schemas/connector.ts';
export * from './schemas/streaming.ts';
export { canonicalIsoMillis, isoMillis } from './time.ts';
export { assertValidRegistry, RegistryError, type RegistryIssue, validateRegistry } from './validate.ts';
