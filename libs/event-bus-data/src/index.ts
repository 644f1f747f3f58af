export {
  BusError,
  BusErrorCode,
  type BusMessage,
  LINEAGE_HEADER,
  LINEAGE_HEADERS,
  type Lineage,
  lineageHeader,
  lineageHeaders,
  type MessageHandler,
  PoisonMessageError,
  parseLineage,
} from '@openfoundry/bus-registry';
export type {
  BatchConsumer,
  BatchConsumerStats,
  ConsumeBatchesOptions,
  DataBatch,
  DataRecord,
} from './batch-consumer.ts';
export type { PayloadCheck, PayloadIssue, Validated } from './codec.ts';
export type { ConsumeOptions, ConsumerStats, DataConsumer } from './consumer.ts';
export { DataBus, type DataBusLogger, type DataBusOptions, dataBusOptionsSchema } from './data-bus.ts';
export type { Publisher, PublishRecord, PublishResult } from './publisher.ts';
