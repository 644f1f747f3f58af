export { type Adr, frontMatterStatus, readAdrs } from './adrs.ts';
export { type CliOptions, parseCliArgs, UsageError } from './args.ts';
export type { Finding, Position } from './finding.ts';
export { FORMATS, type Format, format, formatJson, formatSarif, formatText, summary } from './formats.ts';
export { type LintOptions, type LintResult, lint, selectFindings } from './lint.ts';
export { type RegistrySource, SetupError } from './registry.ts';
export { docPath, RULES, type Rule, ruleOf, type Severity } from './rules.ts';
