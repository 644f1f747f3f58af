import type { PlatformEnv } from '@openfoundry/infra-local';
import {
  IcebergWriter,
  type LoadedTable,
  liveDataFiles,
  mainSnapshot,
  ObjectStore,
  RestCatalog,
  readManifestList,
  type TableIdentifier,
  TableMaintenance,
} from '@openfoundry/lakehouse';
import type { Row } from '../table.ts';
import { sorted, timeEach } from './measure.ts';
import type { Warehouse } from './warehouse.ts';

/** ADR 0002's compaction target. */
const TARGET_FILE_BYTES = 256 * 1024 * 1024;
const DAY = '2026-11-23 10:00:00+00';

/** Objects under a table's location on S3, by the role their names give them. */
export interface StoredFiles {
  objects: number;
  bytes: number;
  dataFiles: number;
  manifests: number;
  manifestLists: number;
  metadataFiles: number;
}

/** What a reader of the current snapshot opens, and how much history the metadata carries. */
export interface SnapshotReads {
  dataFiles: number;
  manifests: number;
  snapshots: number;
}

export interface TableState {
  stored: StoredFiles;
  reads: SnapshotReads;
}

export interface SinkRun {
  intervalSeconds: number;
  commits: number;
  rowsPerCommit: number;
  /** Each append's round trip (Parquet, manifest, manifest list, commit), ms, sorted. */
  appendMs: number[];
  afterHour: TableState;
  afterCompact: TableState;
  afterMaintenance: TableState;
  compactMs: number;
  expireMs: number;
  orphansMs: number;
  compacted: { rewritten: number; added: number };
  expired: { snapshots: number; deletedFiles: number };
  orphans: number;
}

/**
 * A lakehouse sink's files measured, not modelled: `commits` small appends into one day partition
 * through @openfoundry/lakehouse (each carrying its stream offset, as the sink's do), then the
 * platform's maintenance jobs, with the table location listed on S3 and the current snapshot read
 * after the appends, after compaction, and after expiry and orphan removal.
 */
export class SinkFiles {
  private readonly catalog: RestCatalog;
  private readonly store: ObjectStore;
  private readonly warehouse: Warehouse;
  private readonly namespace: string[];

  constructor(
    env: PlatformEnv,
    warehouse: Warehouse,
    namespace: string[],
    catalogUrl: string,
    token: string,
  ) {
    this.warehouse = warehouse;
    this.namespace = namespace;
    this.catalog = new RestCatalog({
      uri: catalogUrl,
      token,
      warehouse: env.OPENFOUNDRY_S3_WAREHOUSE_BUCKET,
    });
    this.store = ObjectStore.fromSettings({
      endpoint: env.OPENFOUNDRY_S3_ENDPOINT,
      region: env.OPENFOUNDRY_S3_REGION,
      accessKeyId: env.OPENFOUNDRY_S3_ACCESS_KEY,
      secretAccessKey: env.OPENFOUNDRY_S3_SECRET_KEY,
    });
  }

  async run(intervalSeconds: number, commits: number, rowsPerCommit: number): Promise<SinkRun> {
    const table: TableIdentifier = { namespace: this.namespace, name: `sink_${intervalSeconds}s` };
    await this.catalog.createTable(this.namespace, {
      name: table.name,
      schema: {
        type: 'struct',
        fields: [
          { id: 1, name: 'id', required: true, type: 'long' },
          { id: 2, name: 'site', required: false, type: 'string' },
          { id: 3, name: 'reading', required: false, type: 'double' },
          { id: 4, name: 'observed_at', required: false, type: 'timestamptz' },
        ],
      },
      'partition-spec': { fields: [{ 'source-id': 4, name: 'observed_at_day', transform: 'day' }] },
      properties: { 'format-version': '2' },
    });
    const writer = new IcebergWriter({ catalog: this.catalog });
    const maintenance = new TableMaintenance({ catalog: this.catalog });
    try {
      let commit = 0;
      const appendMs = await timeEach(commits, async () => {
        const first = commit * rowsPerCommit;
        const stepUs = Math.floor((intervalSeconds * 1e6) / rowsPerCommit);
        await writer.append(
          table,
          {
            sql: `SELECT ${first} + i AS id, ['north', 'south', 'east'][i % 3 + 1] AS site, random() * 100 AS reading,
                    TIMESTAMPTZ '${DAY}' + to_microseconds(${commit * intervalSeconds * 1e6} + i * ${stepUs}) AS observed_at
                  FROM range(${rowsPerCommit}) t(i)`,
          },
          { summary: { 'kafka.offsets': JSON.stringify({ 0: first + rowsPerCommit - 1 }) } },
        );
        commit++;
      });
      const afterHour = await this.state(table);

      let started = performance.now();
      const compacted = await maintenance.compact(table, { targetFileBytes: TARGET_FILE_BYTES });
      const compactMs = performance.now() - started;
      const afterCompact = await this.state(table);
      // The retention windows of ADR 0002 (7 days, 3 days) are taken as passed: cutoffs are now.
      started = performance.now();
      const expired = await maintenance.expireSnapshots(table, { olderThan: new Date(), retainLast: 1 });
      const expireMs = performance.now() - started;
      started = performance.now();
      const orphans = await maintenance.removeOrphanFiles(table, { olderThan: new Date() });
      const orphansMs = performance.now() - started;
      const afterMaintenance = await this.state(table);

      const head = mainSnapshot((await this.catalog.loadTable(table)).metadata);
      const lastOffset = JSON.stringify({ 0: commits * rowsPerCommit - 1 });
      if (head?.summary['kafka.offsets'] !== lastOffset)
        throw new Error(
          `maintenance lost the sink's offsets: ${head?.summary['kafka.offsets']} ≠ ${lastOffset}`,
        );
      return {
        intervalSeconds,
        commits,
        rowsPerCommit,
        appendMs: sorted(appendMs),
        afterHour,
        afterCompact,
        afterMaintenance,
        compactMs,
        expireMs,
        orphansMs,
        compacted: { rewritten: compacted.rewrittenFiles.length, added: compacted.addedFiles.length },
        expired: { snapshots: expired.expiredSnapshotIds.length, deletedFiles: expired.deletedFiles.length },
        orphans: orphans.length,
      };
    } finally {
      await writer.close();
      await maintenance.close();
    }
  }

  close(): void {
    this.store.destroy();
  }

  private async state(table: TableIdentifier): Promise<TableState> {
    const loaded = await this.catalog.loadTable(table);
    return { stored: await this.stored(loaded), reads: await this.reads(loaded) };
  }

  private async stored(table: LoadedTable): Promise<StoredFiles> {
    const objects = await this.warehouse.list(table.metadata.location);
    const named = (test: (name: string) => boolean) =>
      objects.filter((o) => test(o.location.slice(o.location.lastIndexOf('/') + 1))).length;
    return {
      objects: objects.length,
      bytes: objects.reduce((sum, o) => sum + o.bytes, 0),
      dataFiles: named((name) => name.endsWith('.parquet')),
      manifests: named((name) => name.endsWith('.avro') && !name.startsWith('snap-')),
      manifestLists: named((name) => name.endsWith('.avro') && name.startsWith('snap-')),
      metadataFiles: named((name) => name.endsWith('.metadata.json')),
    };
  }

  private async reads(table: LoadedTable): Promise<SnapshotReads> {
    const head = mainSnapshot(table.metadata);
    return {
      dataFiles: (await liveDataFiles(this.store, head)).length,
      manifests: head ? (await readManifestList(this.store, head)).length : 0,
      snapshots: table.metadata.snapshots?.length ?? 0,
    };
  }
}

/** The measured run as rows of the shared table: after maintenance (ours) against after the hour. */
export function sinkRows(run: SinkRun): Row[] {
  const before = run.afterHour;
  const after = run.afterMaintenance;
  const row = (what: string, pick: (state: TableState) => number, unit = ''): Row => ({
    what,
    ours: pick(after),
    baseline: pick(before),
    unit,
    higherIsBetter: false,
  });
  return [
    row('objects under the table location', (s) => s.stored.objects),
    row('  data files (.parquet)', (s) => s.stored.dataFiles),
    row('  manifests', (s) => s.stored.manifests),
    row('  manifest lists', (s) => s.stored.manifestLists),
    row('  metadata files (.metadata.json)', (s) => s.stored.metadataFiles),
    row('bytes under the table location', (s) => s.stored.bytes / 1024, 'KiB'),
    row('data files a scan of the table opens', (s) => s.reads.dataFiles),
    row('manifests a scan of the table opens', (s) => s.reads.manifests),
    row('files a scan opens (list + manifests + data)', (s) => 1 + s.reads.manifests + s.reads.dataFiles),
    row('snapshots in the table metadata', (s) => s.reads.snapshots),
  ];
}
