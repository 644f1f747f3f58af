import ts from 'typescript';
import { finding, positionOf } from '../finding.ts';
import { type FileContext, ownerName } from './context.ts';

/** Stands for a `${…}` of a template literal: a database name containing it is not static. */
const HOLE = '\u0000';
const POSTGRES_URL = /postgres(?:ql)?:\/\/[^/\s'"`]*\/([^?#/\s'"`]+)/g;

/** ADR 0006: a service receives exactly one connection string; only the Flight SQL edge reads others. */
const CONNECTION_VARIABLE = /(?:^|_)DATABASE_URL$|^PG[A-Z]+$|_PG_[A-Z_]*URL$/;
const OWN_CONNECTION_VARIABLE = 'DATABASE_URL';
const EDGE_SERVICE = 'sql-bi-gateway-service';

function literalText(node: ts.Node): string | undefined {
  if (ts.isStringLiteralLike(node)) return node.text;
  if (ts.isTemplateExpression(node)) {
    return node.head.text + node.templateSpans.map((span) => HOLE + span.literal.text).join('');
  }
  return undefined;
}

function propertyName(name: ts.PropertyName): string | undefined {
  return ts.isIdentifier(name) || ts.isStringLiteralLike(name) ? name.text : undefined;
}

export function checkDatabases(ctx: FileContext): void {
  const ownDatabase = ctx.service?.database ?? null;
  // The first manifest to name a database owns it; a second one is reported on that manifest.
  const foreign = new Map<string, string>();
  for (const s of ctx.services) {
    if (s.database !== null && s.database !== ownDatabase && !foreign.has(s.database))
      foreign.set(s.database, s.name);
  }
  const report = (node: ts.Node, message: string) =>
    ctx.report(finding('no-foreign-database', ctx.relPath, positionOf(node, ctx.source), message));
  const foreignDatabase = (node: ts.Node, database: string, how: string) => {
    const owner = foreign.get(database);
    if (owner) {
      report(
        node,
        `${how} database "${database}", which belongs to ${owner}; ${ownerName(ctx)} opens only its own`,
      );
    }
  };

  const visit = (node: ts.Node) => {
    const text = literalText(node);
    if (text !== undefined) {
      for (const match of text.matchAll(POSTGRES_URL)) {
        const database = match[1] as string;
        if (!database.includes(HOLE)) foreignDatabase(node, database, 'connects to');
      }
    }
    if (ts.isPropertyAssignment(node) && propertyName(node.name) === 'database') {
      const text = literalText(node.initializer);
      if (text !== undefined && !text.includes(HOLE)) foreignDatabase(node, text, 'names');
    }
    if (ctx.service?.name !== EDGE_SERVICE) {
      const variable = processEnvRead(node);
      if (variable && variable !== OWN_CONNECTION_VARIABLE && CONNECTION_VARIABLE.test(variable)) {
        report(node, `reads ${variable}: a service connects only through its own ${OWN_CONNECTION_VARIABLE}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(ctx.source);
}

/** `process.env.X` or `process.env['X']` → `X`. */
function processEnvRead(node: ts.Node): string | undefined {
  let target: ts.Expression;
  let name: string | undefined;
  if (ts.isPropertyAccessExpression(node)) {
    target = node.expression;
    name = node.name.text;
  } else if (ts.isElementAccessExpression(node) && ts.isStringLiteralLike(node.argumentExpression)) {
    target = node.expression;
    name = node.argumentExpression.text;
  } else return undefined;
  const isProcessEnv =
    ts.isPropertyAccessExpression(target) &&
    target.name.text === 'env' &&
    ts.isIdentifier(target.expression) &&
    target.expression.text === 'process';
  return isProcessEnv ? name : undefined;
}
