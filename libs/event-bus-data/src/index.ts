export {
  BusError,
  BusErrorCode,
  type BusMessage,
  type Lineage,
  type MessageHandler,
  PoisonMessageError,
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
export { LINEAGE_HEADERS, lineageHeaders, parseLineage } from './lineage.ts';
export type { Publisher, PublishRecord, PublishResult } from './publisher.ts';
