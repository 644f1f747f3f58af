import { describe, expect, it } from 'vitest';
import {
  LINEAGE_HEADER,
  lineageHeader,
  lineageHeaderParts,
  lineageHeaders,
  parseLineage,
} from './lineage.ts';
import type { Lineage } from './messages.ts';

const lineage: Lineage = {
  namespace: 'openfoundry.local',
  jobName: 'connector-service.normalise',
  runId: '0b7e6f1c-9d7a-4c3e-8f51-2a4d6c8e0f13',
  eventTime: '2026-11-24T06:00:00.123Z',
  producer: 'https://openfoundry.dev/services/connector-service',
  schemaUrl: 'https://openfoundry.dev/schemas/asset-event/1.json',
};

describe('the one lineage header (ADR 0019)', () => {
  it('is a JSON object with the Lineage field names, and reads back as it was written', () => {
    const text = lineageHeader(lineage);
    expect(JSON.parse(text)).toEqual(lineage);
    expect(parseLineage({ [LINEAGE_HEADER]: text })).toEqual(lineage);
  });

  it('is built from parts fixed per producer around the event time', () => {
    const { prefix, suffix } = lineageHeaderParts(lineage);
    expect(`${prefix}${JSON.stringify(lineage.eventTime)}${suffix}`).toBe(lineageHeader(lineage));
    const { schemaUrl: _schemaUrl, ...withoutSchema } = lineage;
    expect(JSON.parse(lineageHeader(withoutSchema))).toEqual(withoutSchema);
  });

  it('escapes what JSON must escape, so any job name survives', () => {
    const odd = { ...lineage, jobName: 'job "quoted" \\ and\nnewline' };
    expect(parseLineage({ [LINEAGE_HEADER]: lineageHeader(odd) })).toEqual(odd);
  });

  it('still reads the six ol-* headers (the control bus, and records written before ADR 0019)', () => {
    expect(parseLineage(lineageHeaders(lineage))).toEqual(lineage);
  });

  it('gives no lineage for a header that is not a JSON object or lacks a required fact', () => {
    expect(parseLineage({ [LINEAGE_HEADER]: 'not json' })).toBeUndefined();
    expect(parseLineage({ [LINEAGE_HEADER]: '[1,2]' })).toBeUndefined();
    expect(parseLineage({ [LINEAGE_HEADER]: 'null' })).toBeUndefined();
    const { runId: _runId, ...noRun } = lineage;
    expect(parseLineage({ [LINEAGE_HEADER]: JSON.stringify(noRun) })).toBeUndefined();
    expect(parseLineage({ [LINEAGE_HEADER]: JSON.stringify({ ...lineage, producer: 42 }) })).toBeUndefined();
    expect(parseLineage({})).toBeUndefined();
  });
});
