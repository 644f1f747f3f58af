import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import ts from 'typescript';
import { readAdrs } from './adrs.ts';
import { BusCallChecker } from './checks/bus-calls.ts';
import { checkDatabases } from './checks/databases.ts';
import { checkDependencies, checkImports } from './checks/imports.ts';
import { OUTBOX_MARKER, OutboxEntryChecker } from './checks/outbox.ts';
import { compareFindings, type Finding, relativePath } from './finding.ts';
import { checkManifests } from './manifests.ts';
import { createProgram } from './program.ts';
import {
  defaultRegistrySource,
  loadRegistry,
  type RegistrySource,
  registryFindings,
  SetupError,
} from './registry.ts';
import { isKnownSelector, selects } from './rules.ts';
import { findSourceFiles, findUnits, findWorkspacePackages } from './workspace.ts';

export interface LintOptions {
  /** The repository to check. */
  readonly root: string;
  /** Defaults to `<root>/infra/bus/src/platform.ts#platformRegistry`. */
  readonly registry?: RegistrySource;
  /** Only these rules (ids, or `registry` for every registry code); all when empty. */
  readonly rules?: readonly string[];
  readonly ignore?: readonly string[];
}

export interface LintResult {
  readonly root: string;
  readonly findings: Finding[];
  readonly filesChecked: number;
  readonly services: string[];
}

export async function lint(options: LintOptions): Promise<LintResult> {
  const root = resolve(options.root);
  if (!existsSync(root)) throw new SetupError(`root ${root} does not exist`);
  for (const selector of [...(options.rules ?? []), ...(options.ignore ?? [])]) {
    if (!isKnownSelector(selector)) throw new SetupError(`unknown rule "${selector}"`);
  }

  const units = findUnits(root);
  const manifests = checkManifests(root, units, readAdrs(root));
  const loaded = await loadRegistry(options.registry ?? defaultRegistrySource(root), root);
  const findings: Finding[] = [
    ...manifests.findings,
    ...registryFindings(
      loaded,
      manifests.services.map((s) => s.name),
      root,
    ),
    ...checkDependencies(root, units),
  ];

  const sources = findSourceFiles(root, units).map((file) => {
    const text = readFileSync(file.path, 'utf8');
    return { file, text, typed: !file.isTest && mayUseBus(text) };
  });
  // Only files that could call a bus method or write an outbox entry pay for a type-checked program;
  // the rest are parsed alone.
  const program = createProgram(
    sources.filter((s) => s.typed).map((s) => s.file.path),
    findWorkspacePackages(root),
  );
  const checker = program.getTypeChecker();
  const busCalls = new BusCallChecker(loaded.registry);
  const outboxEntries = new OutboxEntryChecker(loaded.registry);
  for (const { file, text, typed } of sources) {
    const source =
      (typed && program.getSourceFile(file.path)) ||
      ts.createSourceFile(file.path, text, ts.ScriptTarget.Latest, true, scriptKind(file.path));
    const ctx = {
      root,
      file,
      relPath: relativePath(root, file.path),
      source,
      service: manifests.services.find((s) => s.unit === file.unit),
      services: manifests.services,
      units,
      report: (f: Finding) => findings.push(f),
    };
    checkImports(ctx);
    checkDatabases(ctx);
    if (typed) {
      busCalls.check({ ...ctx, checker });
      outboxEntries.check({ ...ctx, checker });
    }
  }

  return {
    root,
    findings: selectFindings(findings, options),
    filesChecked: sources.length,
    services: manifests.services.map((s) => s.name).sort(),
  };
}

/** A bus call is `x.<method>(…)` with one of the bus classes' method names; a file without one has none. */
const BUS_METHOD_CALL = /\.\s*(?:publisher|consume|subscribe|request|handle)\s*[<(]/;

/** Could the file call a bus method, or write an outbox entry (which the relay publishes later)? */
function mayUseBus(text: string): boolean {
  return BUS_METHOD_CALL.test(text) || OUTBOX_MARKER.test(text);
}

function scriptKind(path: string): ts.ScriptKind {
  return path.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
}

/** Applies `--rule` (keep only these, when any) and `--ignore`, and sorts by place. */
export function selectFindings(
  findings: readonly Finding[],
  selection: Pick<LintOptions, 'rules' | 'ignore'>,
): Finding[] {
  const { rules = [], ignore = [] } = selection;
  return findings
    .filter(
      (f) =>
        (rules.length === 0 || rules.some((s) => selects(s, f.rule))) &&
        !ignore.some((s) => selects(s, f.rule)),
    )
    .sort(compareFindings);
}
