import type { Lineage } from './messages.ts';

/** The OpenLineage headers of ADR 0003: the control bus's, one header per fact. */
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

/**
 * The one lineage header of a data-bus record (ADR 0019): the six lineage facts as one JSON object
 * with the `Lineage` field names, e.g.
 * `{"namespace":"openfoundry.local","jobName":"connector-service.normalise","runId":"…","eventTime":"…","producer":"…","schemaUrl":"…"}`.
 */
export const LINEAGE_HEADER = 'ol';

/**
 * The `ol` header's text for a lineage with this event time, built from its fixed part once per
 * producer: `prefix + JSON.stringify(eventTime) + suffix`. Fields left empty are left out.
 */
export function lineageHeaderParts(lineage: Omit<Lineage, 'eventTime'>): { prefix: string; suffix: string } {
  const { namespace, jobName, runId, producer, schemaUrl } = lineage;
  const before = JSON.stringify({ namespace, jobName, runId });
  const after = JSON.stringify({ producer, ...(schemaUrl ? { schemaUrl } : {}) });
  return { prefix: `${before.slice(0, -1)},"eventTime":`, suffix: `,${after.slice(1)}` };
}

/** The `ol` header's text for a lineage. */
export function lineageHeader(lineage: Lineage): string {
  const { prefix, suffix } = lineageHeaderParts(lineage);
  return `${prefix}${JSON.stringify(lineage.eventTime)}${suffix}`;
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;

/**
 * The lineage a producer sent, or undefined unless every required fact is there: from the `ol`
 * header (ADR 0019), else from the six `ol-*` headers (ADR 0003: the control bus, and data-bus
 * records written before ADR 0019, which the asset stream keeps forever).
 */
export function parseLineage(headers: Readonly<Record<string, string>>): Lineage | undefined {
  const one = headers[LINEAGE_HEADER];
  let fields: Record<string, unknown>;
  if (one !== undefined) {
    try {
      const parsed: unknown = JSON.parse(one);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
      fields = parsed as Record<string, unknown>;
    } catch {
      return undefined;
    }
  } else {
    fields = {};
    for (const [field, header] of Object.entries(LINEAGE_HEADERS)) fields[field] = headers[header];
  }
  const namespace = text(fields.namespace);
  const jobName = text(fields.jobName);
  const runId = text(fields.runId);
  const eventTime = text(fields.eventTime);
  const producer = text(fields.producer);
  if (!namespace || !jobName || !runId || !eventTime || !producer) return undefined;
  const schemaUrl = text(fields.schemaUrl);
  return { namespace, jobName, runId, eventTime, producer, ...(schemaUrl ? { schemaUrl } : {}) };
}

/** RFC 3339 with millisecond precision and an explicit offset (UTC, `Z`). */
export function rfc3339(date: Date): string {
  return date.toISOString();
}
