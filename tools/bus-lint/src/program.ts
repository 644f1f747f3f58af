import { existsSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { readPackageJson } from './workspace.ts';

// The checks need types, not emit: the registry definitions' literal names and the bus classes.
const COMPILER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2024,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  noEmit: true,
  allowImportingTsExtensions: true,
  experimentalDecorators: true,
  skipLibCheck: true,
  jsx: ts.JsxEmit.Preserve,
  types: [],
};

/**
 * One program over every source file. Workspace packages (`@openfoundry/*`) resolve to the linted
 * root's own folders first, and from source when they are not built, so the lint needs no build
 * and a fixture repository's packages win over the ones installed around it.
 */
export function createProgram(
  files: readonly string[],
  workspacePackages: ReadonlyMap<string, string>,
): ts.Program {
  const host = ts.createCompilerHost(COMPILER_OPTIONS, true);
  const cache = ts.createModuleResolutionCache(
    host.getCurrentDirectory(),
    host.getCanonicalFileName,
    COMPILER_OPTIONS,
  );
  host.resolveModuleNameLiterals = (literals, containingFile, redirected, options, containingSource) =>
    literals.map((literal) => {
      const fromWorkspace = resolveWorkspaceModule(literal.text, workspacePackages);
      if (fromWorkspace) return { resolvedModule: fromWorkspace };
      return ts.resolveModuleName(
        literal.text,
        containingFile,
        options,
        host,
        cache,
        redirected,
        ts.getModeForUsageLocation(containingSource, literal, options),
      );
    });
  return ts.createProgram({ rootNames: [...files], options: COMPILER_OPTIONS, host });
}

function splitSpecifier(specifier: string): [string, string] {
  const parts = specifier.split('/');
  const size = specifier.startsWith('@') ? 2 : 1;
  return [parts.slice(0, size).join('/'), parts.slice(size).join('/')];
}

function resolveWorkspaceModule(
  specifier: string,
  packages: ReadonlyMap<string, string>,
): ts.ResolvedModuleFull | undefined {
  const [name, subpath] = splitSpecifier(specifier);
  const dir = packages.get(name);
  if (!dir) return undefined;
  const pkg = readPackageJson(dir) ?? {};
  const targets: string[] = [];
  const exportKey = subpath ? `./${subpath}` : '.';
  const exported =
    typeof pkg.exports === 'string' && !subpath
      ? pkg.exports
      : typeof pkg.exports === 'object' && pkg.exports !== null
        ? (pkg.exports as Record<string, unknown>)[exportKey]
        : undefined;
  if (typeof exported === 'string') targets.push(exported);
  else if (typeof exported === 'object' && exported !== null) {
    for (const condition of ['types', 'import', 'default']) {
      const target = (exported as Record<string, unknown>)[condition];
      if (typeof target === 'string') targets.push(target);
    }
  }
  if (!subpath && typeof pkg.types === 'string') targets.push(pkg.types);
  const base = subpath || 'index';
  targets.push(`src/${base}.ts`, `src/${base}/index.ts`, `src/${base}.d.ts`, `${base}.d.ts`);

  for (const target of targets) {
    for (const candidate of candidatesOf(join(dir, target))) {
      if (existsSync(candidate)) {
        return {
          resolvedFileName: candidate,
          extension: extensionOf(candidate),
          isExternalLibraryImport: false,
        };
      }
    }
  }
  return undefined;
}

/** A built `.js` target stands for its `.d.ts`, or the `.ts` it came from when not built. */
function candidatesOf(file: string): string[] {
  if (/\.[cm]?js$/.test(file))
    return [file.replace(/\.([cm]?)js$/, '.d.$1ts'), file.replace(/\.([cm]?)js$/, '.$1ts')];
  return /\.[cm]?tsx?$/.test(file) ? [file] : [];
}

function extensionOf(file: string): ts.Extension {
  if (file.endsWith('.d.ts')) return ts.Extension.Dts;
  if (file.endsWith('.d.mts')) return ts.Extension.Dmts;
  if (file.endsWith('.d.cts')) return ts.Extension.Dcts;
  if (file.endsWith('.tsx')) return ts.Extension.Tsx;
  if (file.endsWith('.mts')) return ts.Extension.Mts;
  if (file.endsWith('.cts')) return ts.Extension.Cts;
  return ts.Extension.Ts;
}
