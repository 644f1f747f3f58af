import type { Row } from '../table.ts';

/** ADR 0002's snapshot expiry: snapshots older than 7 days go (keeping at least the last 50). */
const RETENTION_SECONDS = 7 * 24 * 3600;

/**
 * Files per hour of a sink that commits every `interval` seconds into one partition, by the commit
 * model of a fast append: each commit writes one data file, one manifest, one manifest list and
 * one metadata file. Compaction (ADR 0002: toward 256 MiB per partition) rewrites an hour's data
 * files into one and its manifests into one; the files it replaces stay in storage until their
 * snapshots expire and orphan cleanup runs.
 */
export function filesPerHour(intervalSeconds: number): Row[] {
  const commits = 3600 / intervalSeconds;
  const label = `${intervalSeconds} s commits:`;
  const row = (what: string, before: number, after: number): Row => ({
    what: `${label} ${what}`,
    ours: after,
    baseline: before,
    unit: '',
    higherIsBetter: false,
  });
  return [
    row('files written per hour', commits * 4, commits * 4 + 4),
    row('data files a scan of the hour opens', commits, 1),
    row('manifests a scan of the hour opens', commits, 1),
    row('files the current snapshot references', commits * 2 + 1, 3),
  ];
}

/** How many snapshots a table keeps under the 7-day expiry when it commits every `interval` seconds. */
export function retainedSnapshots(intervalSeconds: number): number {
  return Math.max(50, RETENTION_SECONDS / intervalSeconds);
}
