import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { type LintResult, lint, RULES, selectFindings } from '../src/index.ts';
import { type Expected, fixture, key, markedFindings, repoRoot } from './repos.ts';

const brief = (f: { file: string; line: number; rule: string; message: string }) =>
  `${f.file}:${f.line} ${f.rule} ${f.message}`;

// Findings in JSON files, which cannot carry `// expect:` comments.
const jsonFindings: Expected[] = [
  { file: 'services/missing-adr-service/service.json', line: 4, rule: 'manifest' },
  { file: 'services/no-plane-service/service.json', line: 1, rule: 'manifest' },
  { file: 'services/old-adr-service/service.json', line: 4, rule: 'manifest' },
  { file: 'services/old-adr-service/service.json', line: 6, rule: 'no-foreign-database' },
  { file: 'services/shipping-service/package.json', line: 6, rule: 'no-cross-service-import' },
  { file: 'services/shipping-service/package.json', line: 7, rule: 'no-direct-client' },
  { file: 'services/unlisted-service/service.json', line: 1, rule: 'manifest' },
];

describe('lint', () => {
  describe('a repository that breaks every contract', () => {
    let result: LintResult;
    beforeAll(async () => {
      result = await lint({ root: fixture('violations') });
    });

    it('reports exactly the findings the fixture marks, at their file and line', () => {
      const expected = [...markedFindings(fixture('violations')), ...jsonFindings].map(key).sort();
      expect(result.findings.map(key).sort()).toEqual(expected);
    });

    it('has a finding for every rule', () => {
      const reported = new Set(
        result.findings.map((f) => (f.rule.startsWith('registry/') ? 'registry' : f.rule)),
      );
      expect([...reported].sort()).toEqual(RULES.map((r) => r.id).sort());
    });

    it('cites the ADR 0005 row a message belongs to', () => {
      const wrongBus = result.findings.filter((f) => f.rule === 'wrong-bus').map((f) => f.message);
      expect(wrongBus).toEqual(
        expect.arrayContaining([
          expect.stringContaining('ADR 0005 row C1'),
          expect.stringContaining('ADR 0005 row D2'),
          expect.stringContaining('ADR 0005 row C2'),
          expect.stringContaining('ADR 0005 tie-breaker'),
        ]),
      );
    });

    it('checks outbox entries as publishes of the service that writes them', () => {
      const outbox = result.findings.filter((f) => f.file.endsWith('/outbox.ts')).map(brief);
      expect(outbox).toEqual([
        'services/billing-service/src/outbox.ts:34 lineage-job outbox record job is empty: name the OpenLineage job, or leave it out for <service>.outbox',
        'services/billing-service/src/outbox.ts:35 unknown-topic topic "billing.credit-notes.v1" is not declared in the bus registry',
        'services/billing-service/src/outbox.ts:36 unknown-subject subject "billing.{tenant}.invoice.refunded" is not declared in the bus registry',
        "services/billing-service/src/outbox.ts:37 wrong-bus live.{tenant}.{asset} is a live fan-out subject (ADR 0005 row C4): it is fed only from Kafka by its forwarder, never from a service's outbox",
        'services/billing-service/src/outbox.ts:38 wrong-bus billing.{tenant}.invoice.paid is a control-bus subject (signal, ADR 0005 row C2): write an OutboxSignal ({ subject, tokens, value }), not an OutboxRecord',
        'services/billing-service/src/outbox.ts:39 wrong-bus billing.invoices.v1 is a data-bus topic (state-change, ADR 0005 row D2): write an OutboxRecord ({ topic, key, value }), not an OutboxSignal',
        'services/billing-service/src/outbox.ts:44 bus/unresolved-name cannot tell which topic this outbox entry goes to: its topic is TopicDef<Invoice, string>, not a literal name or a registry definition',
        'services/shipping-service/src/outbox.ts:22 not-owner shipping-service publishes billing.invoices.v1 through its outbox, which billing-service owns',
        'services/shipping-service/src/outbox.ts:23 not-owner shipping-service publishes billing.{tenant}.invoice.paid through its outbox, which billing-service owns',
        'services/shipping-service/src/outbox.ts:24 wrong-bus shipping.dlq.invoices is a dead-letter topic (ADR 0005 row D1): only the data bus writes the poison records of shipping-service.invoices there, never an outbox record',
      ]);
    });

    it('points a superseded ADR at its successor', () => {
      const superseded = result.findings.find(
        (f) => f.file === 'services/old-adr-service/service.json' && f.rule === 'manifest',
      );
      expect(superseded?.message).toMatch(/ADR 0002 .* superseded by 0003.*, 0003$/);
    });

    it('names the owner a publisher is not', () => {
      const notOwner = result.findings.find(
        (f) => f.rule === 'not-owner' && f.file === 'services/shipping-service/src/shipments.ts',
      );
      expect(notOwner).toMatchObject({
        file: 'services/shipping-service/src/shipments.ts',
        severity: 'error',
        message: 'shipping-service publishes billing.invoices.v1, which billing-service owns',
      });
    });

    it('reports a name it cannot resolve as a warning, not an error', () => {
      const unresolved = result.findings.filter((f) => f.rule === 'bus/unresolved-name');
      expect(unresolved.map((f) => f.severity)).toEqual(['warning', 'warning']);
    });
  });

  it('finds nothing wrong in a repository that keeps every contract', async () => {
    const result = await lint({ root: fixture('clean') });
    expect(result.findings).toEqual([]);
    expect(result.services).toEqual(['billing-service', 'shipping-service']);
    expect(result.filesChecked).toBe(5);
  });

  it('passes the OpenFoundry repository itself', async () => {
    const result = await lint({ root: repoRoot });
    expect(result.findings).toEqual([]);
    expect(result.services).toContain('tenancy-service');
  });

  it("inspects the outbox entries of this repository's services", async () => {
    // With every topic and subject owned elsewhere, each entry tenancy-service writes is a finding;
    // had the entries gone unchecked, there would be none.
    const result = await lint({
      root: repoRoot,
      registry: {
        module: fileURLToPath(new URL('./disowned-registry.ts', import.meta.url)),
        exportName: 'disownedRegistry',
      },
      rules: ['not-owner'],
    });
    const outbox = result.findings
      .filter((f) => f.file === 'services/tenancy-service/src/tenants/tenant-events.ts')
      .map((f) => f.message);
    expect(outbox).toEqual([
      'tenancy-service publishes tenancy.tenant-state.v1 through its outbox, which nobody-service owns',
      'tenancy-service publishes tenancy.{tenant}.tenant.changed through its outbox, which nobody-service owns',
    ]);
  });

  describe('rule selection', () => {
    const found = [
      { rule: 'not-owner', file: 'b.ts', line: 2 },
      { rule: 'registry/unknown-owner', file: 'a.ts', line: 9 },
      { rule: 'registry/bad-name', file: 'a.ts', line: 3 },
      { rule: 'manifest', file: 'a.ts', line: 3 },
    ].map((f) => ({ ...f, severity: 'error' as const, column: 1, message: '', fix: '' }));
    const picked = (selection: { rules?: string[]; ignore?: string[] }) =>
      selectFindings(found, selection).map((f) => `${f.file}:${f.line} ${f.rule}`);

    it('keeps every finding, sorted by place, when nothing is selected', () => {
      expect(picked({})).toEqual([
        'a.ts:3 manifest',
        'a.ts:3 registry/bad-name',
        'a.ts:9 registry/unknown-owner',
        'b.ts:2 not-owner',
      ]);
    });

    it('reports only the rules asked for; "registry" stands for every registry code', () => {
      expect(picked({ rules: ['not-owner', 'registry'] })).toEqual([
        'a.ts:3 registry/bad-name',
        'a.ts:9 registry/unknown-owner',
        'b.ts:2 not-owner',
      ]);
    });

    it('drops ignored rules, one registry code at a time if need be', () => {
      expect(picked({ ignore: ['manifest', 'registry/unknown-owner'] })).toEqual([
        'a.ts:3 registry/bad-name',
        'b.ts:2 not-owner',
      ]);
    });

    it('rejects a rule id it does not know', async () => {
      await expect(lint({ root: fixture('clean'), rules: ['not-a-rule'] })).rejects.toThrow(
        'unknown rule "not-a-rule"',
      );
    });
  });
});
