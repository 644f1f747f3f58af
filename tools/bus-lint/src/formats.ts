import { pathToFileURL } from 'node:url';
import type { Finding } from './finding.ts';
import type { LintResult } from './lint.ts';
import { docPath, REGISTRY_PREFIX, RULES, ruleOf } from './rules.ts';

export const FORMATS = ['text', 'json', 'sarif'] as const;
export type Format = (typeof FORMATS)[number];

export const TOOL_VERSION = '0.1.0';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function summary(result: LintResult): string {
  const errors = result.findings.filter((f) => f.severity === 'error').length;
  const warnings = result.findings.length - errors;
  const scope = `${plural(result.filesChecked, 'file')}, ${plural(result.services.length, 'service')}`;
  if (result.findings.length === 0) return `bus-lint: no problems (${scope})`;
  return `bus-lint: ${plural(errors, 'error')}, ${plural(warnings, 'warning')} (${scope})`;
}

/** `file:line:col  severity  rule  message  (fix: hint)`, one finding a line, then the summary. */
export function formatText(result: LintResult): string {
  const lines = result.findings.map(
    (f) => `${f.file}:${f.line}:${f.column}  ${f.severity}  ${f.rule}  ${f.message}  (fix: ${f.fix})`,
  );
  return `${[...lines, summary(result)].join('\n')}\n`;
}

export function formatJson(result: LintResult): string {
  return `${JSON.stringify(result.findings, null, 2)}\n`;
}

interface SarifRule {
  id: string;
  shortDescription: { text: string };
  help: { text: string };
  helpUri: string;
  defaultConfiguration: { level: 'error' | 'warning' };
  properties: { adrs: readonly string[] };
}

function sarifRule(id: string): SarifRule {
  const rule = ruleOf(id);
  return {
    id,
    shortDescription: { text: rule.summary },
    help: { text: `${rule.summary} Fix: ${rule.fix}.` },
    helpUri: docPath(id),
    defaultConfiguration: { level: rule.severity },
    properties: { adrs: rule.adrs.map((n) => `adr/${n}`) },
  };
}

/** SARIF 2.1.0: one run whose driver lists every rule, and one result per finding. */
export function formatSarif(result: LintResult): string {
  const registryCodes = [
    ...new Set(result.findings.map((f) => f.rule).filter((r) => r.startsWith(REGISTRY_PREFIX))),
  ];
  const ids = [...RULES.map((r) => r.id).filter((id) => id !== 'registry'), ...registryCodes.sort()];
  const index = new Map(ids.map((id, i) => [id, i]));
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'bus-lint', version: TOOL_VERSION, rules: ids.map(sarifRule) } },
        originalUriBaseIds: { '%SRCROOT%': { uri: pathToFileURL(`${result.root}/`).href } },
        results: result.findings.map((f: Finding) => ({
          ruleId: f.rule,
          ruleIndex: index.get(f.rule),
          level: f.severity,
          message: { text: `${f.message} (fix: ${f.fix})` },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: f.file, uriBaseId: '%SRCROOT%' },
                region: { startLine: f.line, startColumn: f.column },
              },
            },
          ],
        })),
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}

export function format(result: LintResult, as: Format): string {
  if (as === 'json') return formatJson(result);
  if (as === 'sarif') return formatSarif(result);
  return formatText(result);
}
