import type { Lineage } from '@openfoundry/bus-registry';

/** The OpenLineage record headers of ADR 0003. */
export const LINEAGE_HEADERS = {
  namespace: 'ol-namespace',
  jobName: 'ol-job-name',
  runId: 'ol-run-id',
  eventTime: 'ol-event-time',
  producer: 'ol-producer',
  schemaUrl: 'ol-schema-url',
} as const;

export function lineageHeaders(lineage: Lineage): Record<string, string> {
  const headers: Record<string, string> = {
    [LINEAGE_HEADERS.namespace]: lineage.namespace,
    [LINEAGE_HEADERS.jobName]: lineage.jobName,
    [LINEAGE_HEADERS.runId]: lineage.runId,
    [LINEAGE_HEADERS.eventTime]: lineage.eventTime,
    [LINEAGE_HEADERS.producer]: lineage.producer,
  };
  if (lineage.schemaUrl) headers[LINEAGE_HEADERS.schemaUrl] = lineage.schemaUrl;
  return headers;
}

/** The lineage of a received record, or undefined when any required header is missing. */
export function parseLineage(headers: Readonly<Record<string, string>>): Lineage | undefined {
  const namespace = headers[LINEAGE_HEADERS.namespace];
  const jobName = headers[LINEAGE_HEADERS.jobName];
  const runId = headers[LINEAGE_HEADERS.runId];
  const eventTime = headers[LINEAGE_HEADERS.eventTime];
  const producer = headers[LINEAGE_HEADERS.producer];
  if (!namespace || !jobName || !runId || !eventTime || !producer) return undefined;
  const schemaUrl = headers[LINEAGE_HEADERS.schemaUrl];
  return { namespace, jobName, runId, eventTime, producer, ...(schemaUrl ? { schemaUrl } : {}) };
}

/** RFC 3339 with millisecond precision and an explicit offset (UTC, `Z`). */
export function rfc3339(date: Date): string {
  return date.toISOString();
}
