import { type AssetEvent, isoMillis, type TypedValue, type ValueType } from '@openfoundry/bus-registry';

// The projection as pure functions: which records of a batch are new, and what the current state
// and window rows become after them. No I/O, no clock — replaying the same records gives the same
// rows, which is what makes a rebuild by replay reproduce the read models exactly.

/** One asset-stream record as the batch consumer hands it over. */
export interface StreamRecord {
  partition: number;
  offset: bigint;
  value: AssetEvent;
}

export const WINDOWS = { '1m': 60_000, '1h': 3_600_000 } as const;
export type WindowSize = keyof typeof WINDOWS;
export const WINDOW_SIZES = Object.keys(WINDOWS) as WindowSize[];

/** The latest value of one attribute; times are UTC at millisecond precision. */
export interface StateRow {
  tenant: string;
  assetId: string;
  attribute: string;
  kind: AssetEvent['kind'];
  value: TypedValue;
  unit: string | null;
  quality: AssetEvent['quality'];
  sourceTime: number;
  ingestTime: number;
  eventId: string;
  partition: number;
  offset: bigint;
}

/** One tumbling window of one attribute. */
export interface AggregateRow {
  tenant: string;
  assetId: string;
  attribute: string;
  window: WindowSize;
  /** Epoch milliseconds, a multiple of the window length. */
  windowStart: number;
  /** Every event in the window. */
  count: number;
  /** The double and long events; min, max, sum and avg are over these only. */
  numericCount: number;
  min: number | null;
  max: number | null;
  sum: number | null;
  /** The value with the latest source time in the window (the later record on a tie). */
  last: TypedValue;
  lastTime: number;
}

export interface Projected {
  /** One row per changed attribute, as it stands after the batch. */
  states: StateRow[];
  /** One row per changed window, as it stands after the batch. */
  aggregates: AggregateRow[];
}

export const stateKey = (tenant: string, assetId: string, attribute: string) =>
  `${tenant}/${assetId}/${attribute}`;

/** Also the record key on the aggregates topic: `<tenant>/<asset>/<attribute>/<window>/<windowStart ISO>`. */
export const aggregateKey = (
  row: Pick<AggregateRow, 'tenant' | 'assetId' | 'attribute' | 'window' | 'windowStart'>,
) =>
  `${stateKey(row.tenant, row.assetId, row.attribute)}/${row.window}/${new Date(row.windowStart).toISOString()}`;

/**
 * The in-memory key of one window (the start as epoch milliseconds): cheaper than aggregateKey's
 * ISO time, which is only needed where the key leaves the process.
 */
export const windowKey = (
  row: Pick<AggregateRow, 'tenant' | 'assetId' | 'attribute' | 'window' | 'windowStart'>,
) => windowKeyOf(row.tenant, row.assetId, row.attribute, row.window, row.windowStart);

/** windowKey from its parts, for the per-record loops (no object to build first). */
const windowKeyOf = (tenant: string, assetId: string, attribute: string, window: WindowSize, start: number) =>
  `${tenant}/${assetId}/${attribute}/${window}/${start}`;

export const windowStartOf = (time: number, window: WindowSize) =>
  Math.floor(time / WINDOWS[window]) * WINDOWS[window];

export const avgOf = (row: Pick<AggregateRow, 'sum' | 'numericCount'>) =>
  row.sum === null || row.numericCount === 0 ? null : row.sum / row.numericCount;

/** A timestamp with offset (validated by the event schema) as UTC epoch milliseconds. */
export const epochMillis = isoMillis;

const numeric = (value: TypedValue): number | undefined =>
  value.type === 'double' || value.type === 'long' ? value.value : undefined;

/**
 * The records not yet applied: per partition, those at or after the stored next offset. Everything
 * below it was committed with an earlier batch (redelivery after a crash or a rebalance).
 */
export function pendingRecords<R extends StreamRecord>(
  records: readonly R[],
  stored: ReadonlyMap<number, bigint>,
): R[] {
  return records.filter((record) => record.offset >= (stored.get(record.partition) ?? 0n));
}

/** The next offsets to store: the batch's, never moving a stored offset backwards. */
export function advanceOffsets(
  stored: ReadonlyMap<number, bigint>,
  next: ReadonlyMap<number, bigint>,
): Map<number, bigint> {
  const result = new Map<number, bigint>();
  for (const [partition, offset] of next) {
    const current = stored.get(partition) ?? 0n;
    result.set(partition, offset > current ? offset : current);
  }
  return result;
}

/**
 * One attribute's part of a batch, keyed by stateKey: per window size, its windows by start. The
 * per-record loops look windows up by number in these instead of building a string key for each
 * record and window.
 */
class AttributeWindows<V> {
  readonly bySize: Map<number, V>[] = WINDOW_SIZES.map(() => new Map<number, V>());
}

/** The event's attribute's entry in `groups` (keyed by stateKey), made by `create` on first use. */
function attributeOf<G>(groups: Map<string, G>, event: AssetEvent, create: () => G): G {
  const key = stateKey(event.tenant, event.assetId, event.attribute);
  let group = groups.get(key);
  if (group === undefined) {
    group = create();
    groups.set(key, group);
  }
  return group;
}

/** The windows the records fall into (keyed by windowKey): the rows to load before projecting. */
export function touchedWindows(records: readonly StreamRecord[]): Map<string, WindowRef> {
  const windows = new Map<string, WindowRef>();
  const groups = new Map<string, AttributeWindows<true>>();
  for (const { value: event } of records) {
    const time = epochMillis(event.sourceTime);
    const group = attributeOf(groups, event, () => new AttributeWindows<true>());
    for (let w = 0; w < WINDOW_SIZES.length; w++) {
      const window = WINDOW_SIZES[w] as WindowSize;
      const windowStart = windowStartOf(time, window);
      const seen = group.bySize[w] as Map<number, true>;
      if (seen.has(windowStart)) continue;
      seen.set(windowStart, true);
      const ref = {
        tenant: event.tenant,
        assetId: event.assetId,
        attribute: event.attribute,
        window,
        windowStart,
      };
      windows.set(windowKey(ref), ref);
    }
  }
  return windows;
}

export type WindowRef = Pick<AggregateRow, 'tenant' | 'assetId' | 'attribute' | 'window' | 'windowStart'>;

/** The last record of each attribute in a batch, and the window rows it changed. */
class AttributeChange extends AttributeWindows<AggregateRow> {
  last: StreamRecord | undefined;
}

/**
 * Applies records, in stream order, to the current windows they touch (keyed by windowKey;
 * absent: the window is new). State is the last record per attribute in stream order — per-asset
 * order is the partition's — and needs no current row. Does not modify `current`.
 */
export function project(
  records: readonly StreamRecord[],
  current: ReadonlyMap<string, AggregateRow>,
): Projected {
  const changes = new Map<string, AttributeChange>();
  const aggregates: AggregateRow[] = [];
  for (const record of records) {
    const event = record.value;
    const change = attributeOf(changes, event, () => new AttributeChange());
    change.last = record;
    const sourceTime = epochMillis(event.sourceTime);
    const number = numeric(event.value);
    for (let w = 0; w < WINDOW_SIZES.length; w++) {
      const window = WINDOW_SIZES[w] as WindowSize;
      const windowStart = windowStartOf(sourceTime, window);
      const rows = change.bySize[w] as Map<number, AggregateRow>;
      let row = rows.get(windowStart);
      if (!row) {
        const existing = current.get(
          windowKeyOf(event.tenant, event.assetId, event.attribute, window, windowStart),
        );
        row = existing
          ? { ...existing }
          : {
              tenant: event.tenant,
              assetId: event.assetId,
              attribute: event.attribute,
              window,
              windowStart,
              count: 0,
              numericCount: 0,
              min: null,
              max: null,
              sum: null,
              last: event.value,
              lastTime: sourceTime,
            };
        rows.set(windowStart, row);
        aggregates.push(row);
      }
      row.count += 1;
      if (number !== undefined) {
        row.numericCount += 1;
        row.min = row.min === null ? number : Math.min(row.min, number);
        row.max = row.max === null ? number : Math.max(row.max, number);
        row.sum = (row.sum ?? 0) + number;
      }
      if (sourceTime >= row.lastTime) {
        row.last = event.value;
        row.lastTime = sourceTime;
      }
    }
  }
  const states: StateRow[] = [];
  for (const { last } of changes.values()) if (last) states.push(stateRow(last));
  return { states, aggregates };
}

/** The state row a record leaves its attribute in. */
function stateRow({ partition, offset, value: event }: StreamRecord): StateRow {
  return {
    tenant: event.tenant,
    assetId: event.assetId,
    attribute: event.attribute,
    kind: event.kind,
    value: event.value,
    unit: event.unit ?? null,
    quality: event.quality,
    sourceTime: epochMillis(event.sourceTime),
    ingestTime: epochMillis(event.ingestTime),
    eventId: event.eventId,
    partition,
    offset,
  };
}

/** The typed value as the state table's columns: its type and exactly one value column set. */
export function valueColumns(value: TypedValue): {
  type: ValueType;
  double: number | null;
  long: number | null;
  bool: boolean | null;
  string: string | null;
  json: string | null;
} {
  const columns = { type: value.type, double: null, long: null, bool: null, string: null, json: null };
  switch (value.type) {
    case 'double':
      return { ...columns, double: value.value };
    case 'long':
      return { ...columns, long: value.value };
    case 'boolean':
      return { ...columns, bool: value.value };
    case 'string':
      return { ...columns, string: value.value };
    case 'json':
      return { ...columns, json: JSON.stringify(value.value ?? null) };
    case 'null':
      return columns;
  }
}

/** The inverse of valueColumns, for rows read back from the state table. */
export function valueFromColumns(row: {
  value_type: string;
  value_double: number | null;
  value_long: string | number | null;
  value_bool: boolean | null;
  value_string: string | null;
  value_json: unknown;
}): TypedValue {
  switch (row.value_type) {
    case 'double':
      return { type: 'double', value: Number(row.value_double) };
    case 'long':
      return { type: 'long', value: Number(row.value_long) };
    case 'boolean':
      return { type: 'boolean', value: Boolean(row.value_bool) };
    case 'string':
      return { type: 'string', value: row.value_string ?? '' };
    case 'json':
      return { type: 'json', value: row.value_json };
    default:
      return { type: 'null', value: null };
  }
}

/** A window's last value from its stored type and JSON value. */
export function typedValueOf(type: string, value: unknown): TypedValue {
  switch (type) {
    case 'double':
    case 'long':
      return { type, value: Number(value) };
    case 'boolean':
      return { type, value: Boolean(value) };
    case 'string':
      return { type, value: String(value) };
    case 'json':
      return { type, value };
    default:
      return { type: 'null', value: null };
  }
}
