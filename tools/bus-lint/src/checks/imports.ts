import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { type Finding, finding, positionOf, relativePath } from '../finding.ts';
import { parseJsonFile } from '../json-file.ts';
import type { Unit } from '../workspace.ts';
import type { FileContext } from './context.ts';

/** Broker clients that only libs/event-bus-data and libs/event-bus-control may depend on. */
const CLIENT_PACKAGES = [
  'kafkajs',
  '@platformatic/kafka',
  '@confluentinc/kafka-javascript',
  'node-rdkafka',
  'nats',
];
const CLIENT_SCOPES = ['@nats-io/'];
/** The validated mark (ADR 0020): the bus libraries set it, nothing else may. */
const VALIDATED_MARK = '@openfoundry/bus-registry/validated';

export function brokerClientOf(specifier: string): string | undefined {
  const scope = CLIENT_SCOPES.find((s) => specifier.startsWith(s));
  if (scope) return specifier.split('/').slice(0, 2).join('/');
  return CLIENT_PACKAGES.find((p) => specifier === p || specifier.startsWith(`${p}/`));
}

function busLibraryFor(client: string): string {
  return /nats/.test(client)
    ? '@openfoundry/event-bus-control (ControlBus)'
    : '@openfoundry/event-bus-data (DataBus)';
}

function packageNameOf(specifier: string): string {
  return specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');
}

/** The service unit a package name belongs to, when it is one: `@openfoundry/<x>-service` or a services/* package. */
function servicePackage(name: string, units: readonly Unit[]): string | undefined {
  const unit = units.find((u) => u.kind === 'service' && u.packageName === name);
  if (unit) return unit.dir;
  return /^@openfoundry\/[a-z0-9-]+-service$/.test(name) ? name : undefined;
}

/** Every module specifier a file names: static and dynamic imports, re-exports, require, import types. */
export function moduleSpecifiers(source: ts.SourceFile): ts.StringLiteralLike[] {
  const found: ts.StringLiteralLike[] = [];
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteralLike(node.moduleSpecifier)) found.push(node.moduleSpecifier);
    } else if (ts.isExternalModuleReference(node) && ts.isStringLiteralLike(node.expression)) {
      found.push(node.expression);
    } else if (ts.isCallExpression(node)) {
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      const [arg] = node.arguments;
      if ((isImport || isRequire) && arg && ts.isStringLiteralLike(arg)) found.push(arg);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      if (ts.isStringLiteralLike(node.argument.literal)) found.push(node.argument.literal);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

export function checkImports(ctx: FileContext): void {
  const own = ctx.file.unit;
  for (const literal of moduleSpecifiers(ctx.source)) {
    const specifier = literal.text;
    const at = positionOf(literal, ctx.source);
    const client = brokerClientOf(specifier);
    if (client) {
      ctx.report(
        finding(
          'no-direct-client',
          ctx.relPath,
          at,
          `imports the broker client ${client}: use ${busLibraryFor(client)} instead`,
        ),
      );
      continue;
    }
    if (specifier === VALIDATED_MARK) {
      ctx.report(
        finding(
          'no-validated-mark',
          ctx.relPath,
          at,
          `imports ${VALIDATED_MARK}: a value marked as checked is sent without validation, so only the bus libraries mark one`,
        ),
      );
      continue;
    }
    if (specifier.startsWith('.')) {
      const target = relativePath(ctx.root, resolve(dirname(ctx.file.path), specifier));
      const other = ctx.units.find((u) => u !== own && (target === u.dir || target.startsWith(`${u.dir}/`)));
      if (other) {
        ctx.report(
          finding(
            'no-cross-service-import',
            ctx.relPath,
            at,
            `imports ${target}, a file of ${other.dir}: ${own.dir} never reaches into another ${other.kind}'s folder`,
          ),
        );
      }
      continue;
    }
    const name = packageNameOf(specifier);
    const service = name !== own.packageName ? servicePackage(name, ctx.units) : undefined;
    if (service) {
      ctx.report(
        finding(
          'no-cross-service-import',
          ctx.relPath,
          at,
          `imports ${name}, another service's package: services talk over the buses or Flight SQL`,
        ),
      );
    }
  }
}

/** A unit's package.json may not even depend on a broker client or another service. */
export function checkDependencies(root: string, units: readonly Unit[]): Finding[] {
  const findings: Finding[] = [];
  for (const unit of units) {
    if (unit.packageName === undefined) continue;
    const file = `${unit.dir}/package.json`;
    const parsed = parseJsonFile(join(root, file), readFileSync(join(root, file), 'utf8'));
    if (!parsed.ok) continue;
    const pkg = parsed.file.value as Record<string, unknown>;
    for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
      const deps = pkg[field];
      if (typeof deps !== 'object' || deps === null) continue;
      for (const name of Object.keys(deps)) {
        const at = parsed.file.locate(field, name);
        const client = brokerClientOf(name);
        if (client) {
          findings.push(
            finding(
              'no-direct-client',
              file,
              at,
              `depends on the broker client ${client}: use ${busLibraryFor(client)}`,
            ),
          );
        } else if (name !== unit.packageName && servicePackage(name, units)) {
          findings.push(
            finding('no-cross-service-import', file, at, `depends on ${name}, another service's package`),
          );
        }
      }
    }
  }
  return findings;
}
