export {
  BusError,
  BusErrorCode,
  type BusMessage,
  type Lineage,
  type MessageHandler,
  PoisonMessageError,
} from '@openfoundry/bus-registry';
export { LINEAGE_HEADERS, lineageHeaders, MSG_ID_HEADER, parseLineage } from './codec.ts';
export type { ConsumeOptions, ConsumerStats, ControlConsumer } from './consumer.ts';
export type { ControlBusLogger } from './context.ts';
export {
  ControlBus,
  type ControlBusOptions,
  controlBusOptionsSchema,
  type SubscribeOptions,
} from './control-bus.ts';
export { type ErrorShape, RemoteError } from './errors.ts';
export type {
  ControlPublisher,
  MessageExtras,
  PublishInput,
  PublishOutcome,
  PublishResult,
} from './publisher.ts';
export { DEFAULT_REQUEST_TIMEOUT_MS, type RequestHandler, type RequestInput } from './requests.ts';
export type { Tokens, TokensInput } from './subjects.ts';
export type { ControlSubscription, SubscriptionStats } from './subscription.ts';
