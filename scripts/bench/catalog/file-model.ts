/** ADR 0002's snapshot expiry: snapshots older than 7 days go (keeping at least the last 50). */
const RETENTION_SECONDS = 7 * 24 * 3600;

/** How many snapshots a table keeps under the 7-day expiry when it commits every `interval` seconds. */
export function retainedSnapshots(intervalSeconds: number): number {
  return Math.max(50, RETENTION_SECONDS / intervalSeconds);
}
