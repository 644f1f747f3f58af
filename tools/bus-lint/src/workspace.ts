import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A deployable folder: `services/<dir>` or `apps/<dir>`. */
export interface Unit {
  readonly kind: 'service' | 'app';
  /** Relative to the root: `services/tenancy-service`. */
  readonly dir: string;
  readonly packageName: string | undefined;
  /** Does it hold a service.json? Every service must; an app may. */
  readonly hasManifest: boolean;
  /** Does it look like a real unit rather than a placeholder folder with a README? */
  readonly hasCode: boolean;
}

/** The workspace package folders, where `@openfoundry/*` names are resolved from source. */
const PACKAGE_PARENTS = ['libs', 'infra', 'tools', 'services', 'apps'];

const SOURCE_FILE = /\.(?:ts|tsx|mts|cts)$/;
const DECLARATION_FILE = /\.d\.(?:ts|mts|cts)$/;
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.turbo', 'coverage']);

function subdirs(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

export function readPackageJson(dir: string): Record<string, unknown> | undefined {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return undefined;
  try {
    const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function findUnits(root: string): Unit[] {
  const units: Unit[] = [];
  for (const kind of ['service', 'app'] as const) {
    const parent = `${kind}s`;
    for (const name of subdirs(join(root, parent))) {
      const abs = join(root, parent, name);
      const pkg = readPackageJson(abs);
      units.push({
        kind,
        dir: `${parent}/${name}`,
        packageName: typeof pkg?.name === 'string' ? pkg.name : undefined,
        hasManifest: existsSync(join(abs, 'service.json')),
        hasCode: pkg !== undefined || existsSync(join(abs, 'src')),
      });
    }
  }
  return units;
}

/** `@openfoundry/event-bus-data` → its folder, for every package.json one level under the package parents. */
export function findWorkspacePackages(root: string): Map<string, string> {
  const packages = new Map<string, string>();
  for (const parent of PACKAGE_PARENTS) {
    for (const name of subdirs(join(root, parent))) {
      const dir = join(root, parent, name);
      const pkg = readPackageJson(dir);
      if (typeof pkg?.name === 'string') packages.set(pkg.name, dir);
    }
  }
  return packages;
}

export interface SourceFile {
  readonly path: string;
  readonly unit: Unit;
  /** Tests follow the import and database boundaries but may drive the buses as any service. */
  readonly isTest: boolean;
}

/** The TypeScript of every unit's `src/` and `test/` folders, declarations excluded. */
export function findSourceFiles(root: string, units: readonly Unit[]): SourceFile[] {
  const files: SourceFile[] = [];
  const walk = (dir: string, unit: Unit, inTestDir: boolean) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith('.')) walk(path, unit, inTestDir);
      } else if (SOURCE_FILE.test(entry.name) && !DECLARATION_FILE.test(entry.name)) {
        files.push({ path, unit, isTest: inTestDir || /\.spec\.[cm]?tsx?$/.test(entry.name) });
      }
    }
  };
  for (const unit of units) {
    for (const folder of ['src', 'test']) {
      const dir = join(root, unit.dir, folder);
      if (existsSync(dir)) walk(dir, unit, folder === 'test');
    }
  }
  return files;
}
