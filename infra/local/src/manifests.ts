import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from './config.ts';
import { InfraError } from './errors.ts';

export interface ServiceManifest {
  name: string;
  /** Its own Postgres database (and role of the same name); absent when the service keeps no state. */
  database?: string;
  /**
   * `background`: the service derives bulk views that may fall behind under load (ADR 0018); the
   * local runner starts it at a lower CPU priority than the live path. Default `interactive`.
   */
  cpu: CpuClass;
  /** The directory holding service.json. */
  dir: string;
  [field: string]: unknown;
}

const DATABASE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
export const CPU_CLASSES = ['interactive', 'background'] as const;
export type CpuClass = (typeof CPU_CLASSES)[number];

export function parseManifest(text: string, file: string, dir: string): ServiceManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new InfraError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InfraError(`${file} must hold a JSON object`);
  }
  const manifest = raw as Record<string, unknown>;
  if (typeof manifest.name !== 'string' || manifest.name === '') {
    throw new InfraError(`${file}: "name" must be a non-empty string`);
  }
  const database = manifest.database;
  if (database !== undefined && database !== null) {
    if (typeof database !== 'string' || !DATABASE_NAME.test(database)) {
      throw new InfraError(
        `${file}: "database" must match ${DATABASE_NAME} (lower-case letters, digits, _), got ${JSON.stringify(database)}`,
      );
    }
  }
  const cpu = manifest.cpu ?? 'interactive';
  if (!CPU_CLASSES.includes(cpu as CpuClass)) {
    throw new InfraError(
      `${file}: "cpu" must be one of ${CPU_CLASSES.join(', ')}, got ${JSON.stringify(cpu)}`,
    );
  }
  return {
    ...manifest,
    name: manifest.name,
    database: typeof database === 'string' ? database : undefined,
    cpu: cpu as CpuClass,
    dir,
  };
}

/** Every services/<dir>/service.json (or OPENFOUNDRY_SERVICES_DIR), sorted by directory name. */
export function serviceManifests(servicesDir: string = loadConfig().servicesDir): ServiceManifest[] {
  if (!existsSync(servicesDir)) return [];
  return readdirSync(servicesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(servicesDir, entry.name))
    .filter((dir) => existsSync(join(dir, 'service.json')))
    .sort()
    .map((dir) => {
      const file = join(dir, 'service.json');
      return parseManifest(readFileSync(file, 'utf8'), file, dir);
    });
}

/** The databases (and same-named roles) to provision, one per manifest that names one. */
export function databasesToProvision(manifests: ServiceManifest[]): string[] {
  return [...new Set(manifests.flatMap((m) => (m.database ? [m.database] : [])))].sort();
}
