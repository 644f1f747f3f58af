export { type CellReader, type ColumnCodec, codecFor, codecsFor } from '../arrow/arrow-columns.ts';
export {
  type ArrowSource,
  type ArrowTableColumn,
  type ArrowTableOptions,
  type ArrowTableProgress,
  type ArrowTableResult,
  loadArrowTable,
} from './arrow-table.ts';
export { type FlightSqlPeer, type FlightSqlTableOptions, loadFlightSqlTable } from './flight-sql-table.ts';
export { peerError } from './peer-errors.ts';
