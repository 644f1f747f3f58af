import type { Lineage } from './messages.ts';

/** The OpenLineage record headers of ADR 0003, the same on both buses. */
export const LINEAGE_HEADERS = {
  namespace: 'ol-namespace',
  jobName: 'ol-job-name',
  runId: 'ol-run-id',
  eventTime: 'ol-event-time',
  producer: 'ol-producer',
  schemaUrl: 'ol-schema-url',
} as const;

/** The headers for a lineage; fields left empty are left out. */
export function lineageHeaders(lineage: Lineage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [field, header] of Object.entries(LINEAGE_HEADERS) as [keyof Lineage, string][]) {
    const value = lineage[field];
    if (value) headers[header] = value;
  }
  return headers;
}

/** The lineage a producer sent, or undefined unless every required header is there. */
export function parseLineage(headers: Readonly<Record<string, string>>): Lineage | undefined {
  const get = (field: keyof typeof LINEAGE_HEADERS) => headers[LINEAGE_HEADERS[field]];
  const namespace = get('namespace');
  const jobName = get('jobName');
  const runId = get('runId');
  const eventTime = get('eventTime');
  const producer = get('producer');
  if (!namespace || !jobName || !runId || !eventTime || !producer) return undefined;
  const schemaUrl = get('schemaUrl');
  return { namespace, jobName, runId, eventTime, producer, ...(schemaUrl ? { schemaUrl } : {}) };
}

/** RFC 3339 with millisecond precision and an explicit offset (UTC, `Z`). */
export function rfc3339(date: Date): string {
  return date.toISOString();
}
