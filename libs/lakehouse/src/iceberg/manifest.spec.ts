import { describe, expect, it } from 'vitest';
import {
  avroName,
  decodeManifest,
  EntryStatus,
  encodeManifest,
  encodeManifests,
  FileContent,
  type ManifestEntry,
  type ManifestFile,
} from './manifest.ts';

describe('avroName', () => {
  it.each([
    ['observed_at_day', 'observed_at_day'],
    ['temp-c', 'temp_x2Dc'],
    ['1st', '_1st'],
    ['a.b', 'a_x2Eb'],
    ['ü', '_xFC'],
  ])('%s becomes %s', (name, expected) => {
    expect(avroName(name)).toBe(expected);
  });
});

describe('manifests', () => {
  const entry = (path: string, status: EntryStatus, sequence: bigint | null): ManifestEntry => ({
    status,
    snapshot_id: sequence === null ? null : 5n,
    sequence_number: sequence,
    file_sequence_number: sequence,
    data_file: {
      content: FileContent.Data,
      file_path: path,
      file_format: 'PARQUET',
      partition: { 'temp-c': 21 },
      record_count: 10n,
      file_size_in_bytes: 1000n,
      value_counts: [{ key: 1, value: 10n }],
      lower_bounds: [{ key: 1, value: new Uint8Array([1, 0, 0, 0]) }],
    },
  });
  const listEntry: ManifestFile = {
    manifest_path: 's3://warehouse/t/metadata/m.avro',
    manifest_length: 1,
    partition_spec_id: 0,
    content: FileContent.Data,
    sequence_number: 9n,
    min_sequence_number: 3n,
    added_snapshot_id: 77n,
    added_files_count: 1,
    existing_files_count: 1,
    deleted_files_count: 0,
    added_rows_count: 10n,
    existing_rows_count: 10n,
    deleted_rows_count: 0n,
  };

  const context = {
    schema: {
      type: 'struct' as const,
      'schema-id': 0,
      fields: [{ id: 1, name: 'temp-c', required: false, type: 'int' }],
    },
    spec: {
      'spec-id': 0,
      fields: [{ 'source-id': 1, 'field-id': 1000, name: 'temp-c', transform: 'identity' }],
    },
    partitionTypes: [{ name: 'temp-c', fieldId: 1000, avro: 'int' as const }],
  };
  const many = Array.from({ length: 100 }, (_, i) =>
    entry(`s3://warehouse/t/data/${String(i).padStart(3, '0')}.parquet`, EntryStatus.Existing, 3n),
  );
  const paths = (entries: readonly ManifestEntry[]) => entries.map((e) => e.data_file.file_path);

  it('keeps entries that fit the target in one manifest', () => {
    const parts = encodeManifests(context, many, 1024 * 1024);
    expect(parts).toHaveLength(1);
    expect(paths(decodeManifest(parts[0]?.bytes as Uint8Array, listEntry))).toEqual(paths(many));
  });

  it('cuts entries over the target into manifests under it, in order, none lost', () => {
    const header = encodeManifest(context, []).length;
    const target = header + Math.ceil((encodeManifest(context, many).length - header) / 3);
    const parts = encodeManifests(context, many, target);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const part of parts) expect(part.bytes.length).toBeLessThanOrEqual(target);
    const decoded = parts.flatMap((part) => decodeManifest(part.bytes, listEntry));
    expect(paths(decoded)).toEqual(paths(many));
    expect(parts.map((part) => paths(part.entries))).toEqual(
      parts.map((part) => paths(decodeManifest(part.bytes, listEntry))),
    );
  });

  it('gives an entry larger than the target a manifest of its own', () => {
    const parts = encodeManifests(context, many.slice(0, 3), 1);
    expect(parts.map((part) => paths(part.entries))).toEqual(paths(many.slice(0, 3)).map((p) => [p]));
  });

  it('writes partition fields under Avro-safe names and reads them back under the spec names', () => {
    const bytes = encodeManifest(
      {
        schema: {
          type: 'struct',
          'schema-id': 0,
          fields: [{ id: 1, name: 'temp-c', required: false, type: 'int' }],
        },
        spec: {
          'spec-id': 0,
          fields: [{ 'source-id': 1, 'field-id': 1000, name: 'temp-c', transform: 'identity' }],
        },
        partitionTypes: [{ name: 'temp-c', fieldId: 1000, avro: 'int' }],
      },
      [entry('a.parquet', EntryStatus.Added, null), entry('b.parquet', EntryStatus.Existing, 3n)],
    );
    const [added, existing] = decodeManifest(bytes, listEntry);
    expect(added?.data_file.partition).toEqual({ 'temp-c': 21 });
    // Added entries inherit snapshot id and sequence numbers from the manifest list; others keep theirs.
    expect([added?.snapshot_id, added?.sequence_number, added?.file_sequence_number]).toEqual([77n, 9n, 9n]);
    expect([existing?.snapshot_id, existing?.sequence_number]).toEqual([5n, 3n]);
    expect(existing?.data_file.lower_bounds).toEqual([{ key: 1, value: new Uint8Array([1, 0, 0, 0]) }]);
  });
});
