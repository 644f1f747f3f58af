import { beforeAll, describe, expect, it } from 'vitest';
import { formatJson, formatSarif, formatText, type LintResult, lint, RULES } from '../src/index.ts';
import { fixture } from './repos.ts';

interface SarifLog {
  $schema: string;
  version: string;
  runs: {
    tool: {
      driver: { name: string; rules: { id: string; helpUri: string; shortDescription: { text: string } }[] };
    };
    results: {
      ruleId: string;
      ruleIndex: number;
      level: string;
      message: { text: string };
      locations: { physicalLocation: unknown }[];
    }[];
  }[];
}

describe('report formats', () => {
  let result: LintResult;
  beforeAll(async () => {
    result = await lint({ root: fixture('violations') });
  });

  it('text: file:line:col, severity, rule, message and fix on one line, then a summary', () => {
    const lines = formatText(result).trimEnd().split('\n');
    expect(lines).toContain(
      "services/shipping-service/src/shipments.ts:11:20  error  not-owner  shipping-service publishes billing.invoices.v1, which billing-service owns  (fix: publish from the owning service, or add this service to the command's senders in the registry)",
    );
    expect(lines).toHaveLength(result.findings.length + 1);
    expect(lines.at(-1)).toBe('bus-lint: 46 errors, 2 warnings (9 files, 6 services)');
  });

  it('json: an array of findings', () => {
    const findings = JSON.parse(formatJson(result)) as unknown[];
    expect(findings).toHaveLength(result.findings.length);
    expect(findings[0]).toEqual({
      rule: expect.any(String),
      severity: expect.stringMatching(/^(error|warning)$/),
      file: expect.any(String),
      line: expect.any(Number),
      column: expect.any(Number),
      message: expect.any(String),
      fix: expect.any(String),
    });
  });

  describe('sarif', () => {
    let sarif: SarifLog;
    beforeAll(() => {
      sarif = JSON.parse(formatSarif(result)) as SarifLog;
    });

    it('is SARIF 2.1.0 with one run by bus-lint', () => {
      expect(sarif).toMatchObject({ version: '2.1.0', $schema: expect.stringContaining('sarif-2.1.0') });
      expect(sarif.runs).toHaveLength(1);
      expect(sarif.runs[0]?.tool.driver.name).toBe('bus-lint');
    });

    it('lists every rule with a description and its doc page, and each registry code found', () => {
      const rules = sarif.runs[0]?.tool.driver.rules ?? [];
      expect(rules.map((r) => r.id)).toEqual([
        ...RULES.map((r) => r.id).filter((id) => id !== 'registry'),
        'registry/unknown-owner',
      ]);
      expect(rules.find((r) => r.id === 'lineage-job')).toMatchObject({
        helpUri: 'tools/bus-lint/docs/rules/lineage-job.md',
        shortDescription: { text: 'Every data-bus publisher names its OpenLineage job.' },
      });
      expect(rules.find((r) => r.id === 'registry/unknown-owner')?.helpUri).toBe(
        'tools/bus-lint/docs/rules/registry.md',
      );
    });

    it('has one located result per finding, indexed into the rule list', () => {
      const run = sarif.runs[0];
      expect(run?.results).toHaveLength(result.findings.length);
      const lineage = run?.results.find((r) => r.ruleId === 'lineage-job');
      expect(lineage).toMatchObject({ level: 'error', message: { text: expect.stringContaining('(fix: ') } });
      expect(run?.tool.driver.rules[lineage?.ruleIndex ?? -1]?.id).toBe('lineage-job');
      expect(lineage?.locations[0]?.physicalLocation).toEqual({
        artifactLocation: { uri: 'services/billing-service/src/invoices.ts', uriBaseId: '%SRCROOT%' },
        region: { startLine: 11, startColumn: 36 },
      });
    });
  });
});
