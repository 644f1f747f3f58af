export { AvroFormatError } from './avro/avro.errors.ts';
export type { AvroSchema } from './avro/avro-schema.ts';
export {
  type AvroCodec,
  type AvroContainer,
  readAvroContainer,
  writeAvroContainer,
} from './avro/object-container.ts';
export { CatalogError, CatalogErrorCode, CommitFailedError } from './catalog/catalog.errors.ts';
export {
  type CreateTableRequest,
  type LoadedTable,
  RestCatalog,
  type RestCatalogOptions,
  type TableIdentifier,
  type TableRequirement,
  type TableUpdate,
} from './catalog/rest-catalog.ts';
export { UnsupportedTypeError } from './iceberg/iceberg-types.ts';
export {
  type DataFile,
  EntryStatus,
  FileContent,
  type ManifestEntry,
  type ManifestFile,
} from './iceberg/manifest.ts';
export {
  liveDataFiles,
  readManifestEntries,
  readManifestList,
  type TrackedFile,
} from './iceberg/manifest-io.ts';
export * from './iceberg/table-metadata.ts';
export { type Long, parseLosslessJson, stringifyLosslessJson } from './json.ts';
export { CompactionConflictError } from './maintenance/maintenance.errors.ts';
export {
  type CompactOptions,
  type CompactResult,
  type ExpireOptions,
  type ExpireResult,
  type OrphanOptions,
  type RewriteManifestsOptions,
  type RewriteManifestsResult,
  TableMaintenance,
  type TableMaintenanceOptions,
} from './maintenance/table-maintenance.ts';
export { ObjectStore, type S3Settings, type StoredObject } from './storage/object-store.ts';
export {
  type AppendOptions,
  type AppendResult,
  type AppendSource,
  IcebergWriter,
  type IcebergWriterOptions,
} from './write/iceberg-writer.ts';
export type { CommitOptions, CommittedSnapshot } from './write/snapshot-commit.ts';
export type { LakehouseOptions } from './write/table-io.ts';
export { InvalidSourceError } from './write/writer.errors.ts';
