import { relative, sep } from 'node:path';
import type ts from 'typescript';
import { ruleOf, type Severity } from './rules.ts';

export interface Finding {
  /** Rule id: `not-owner`, `registry/unknown-owner`, … */
  readonly rule: string;
  readonly severity: Severity;
  /** Path relative to the linted root, `/`-separated. */
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  readonly message: string;
  readonly fix: string;
}

export interface Position {
  readonly line: number;
  readonly column: number;
}

export const START: Position = { line: 1, column: 1 };

export function finding(rule: string, file: string, at: Position, message: string): Finding {
  const meta = ruleOf(rule);
  return { rule, severity: meta.severity, file, line: at.line, column: at.column, message, fix: meta.fix };
}

export function positionOf(node: ts.Node, sourceFile: ts.SourceFile = node.getSourceFile()): Position {
  const { line, character } = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile));
  return { line: line + 1, column: character + 1 };
}

/** Findings name files relative to the root, the same on every machine and OS. */
export function relativePath(root: string, file: string): string {
  return relative(root, file).split(sep).join('/');
}

export function compareFindings(a: Finding, b: Finding): number {
  return (
    (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
    a.line - b.line ||
    a.column - b.column ||
    (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0)
  );
}
