import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type Adr, supersededBy } from './adrs.ts';
import { type Finding, finding, type Position, START } from './finding.ts';
import { parseJsonFile } from './json-file.ts';
import type { Unit } from './workspace.ts';

/** What the other rules need from a service.json; the full schema is service-kit's. */
export interface Service {
  readonly name: string;
  readonly unit: Unit;
  /** Its Postgres database; null when it keeps no state or the manifest does not say. */
  readonly database: string | null;
}

// The fields of libs/service-kit/src/manifest/manifest.ts. bus-lint runs from source without a
// build, and service-kit's entry point is its build output, so the checks are restated here with
// a message per field and the line it sits on.
const PLANES = ['control', 'ingestion', 'storage', 'compute', 'relational-state'];
const KEBAB = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const ADR_NUMBER = /^\d{4}$/;
const DATABASE = /^[a-z_][a-z0-9_]{0,62}$/;

export interface ManifestCheck {
  readonly services: Service[];
  readonly findings: Finding[];
}

export function checkManifests(
  root: string,
  units: readonly Unit[],
  adrs: ReadonlyMap<string, Adr>,
): ManifestCheck {
  const services: Service[] = [];
  const findings: Finding[] = [];
  const namedBy = new Map<string, string>();
  const databaseOf = new Map<string, string>();

  // A service whose manifest is missing or unreadable is still known by its folder name, so one
  // broken file yields one finding instead of an unknown owner at every use of the service.
  const provisional = (unit: Unit, at: Position, message: string) => {
    findings.push(finding('manifest', `${unit.dir}/service.json`, at, message));
    services.push({ name: basename(unit.dir), unit, database: null });
  };

  for (const unit of units) {
    const file = `${unit.dir}/service.json`;
    if (!unit.hasManifest) {
      if (unit.kind === 'service' && unit.hasCode) {
        provisional(
          unit,
          START,
          `${unit.dir} has no service.json: every service names its plane and owning ADR`,
        );
      }
      continue;
    }
    const parsed = parseJsonFile(join(root, file), readFileSync(join(root, file), 'utf8'));
    if (!parsed.ok) {
      provisional(unit, parsed.at, `service.json is not valid JSON: ${parsed.message}`);
      continue;
    }
    const raw = parsed.file.value;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      provisional(unit, START, 'service.json must hold a JSON object');
      continue;
    }
    const m = raw as Record<string, unknown>;
    const at = (...path: string[]) => parsed.file.locate(...path);
    const problem = (message: string, ...path: string[]) =>
      findings.push(finding('manifest', file, at(...path), message));

    const name = typeof m.name === 'string' && m.name !== '' ? m.name : undefined;
    if (name === undefined) problem('has no "name": the service name, lowercase kebab-case', 'name');
    else if (!KEBAB.test(name)) problem(`name "${name}" must be lowercase kebab-case`, 'name');
    else if (namedBy.has(name)) problem(`name "${name}" is also the name of ${namedBy.get(name)}`, 'name');
    if (name !== undefined) namedBy.set(name, unit.dir);

    if (m.plane === undefined) problem(`has no "plane": name one of ${PLANES.join(', ')}`);
    else if (typeof m.plane !== 'string' || !PLANES.includes(m.plane)) {
      problem(`plane ${JSON.stringify(m.plane)} is not one of ${PLANES.join(', ')}`, 'plane');
    }

    checkAdr(m.adr, adrs, (message) => problem(message, 'adr'));

    if (!(Number.isInteger(m.port) && (m.port as number) >= 1 && (m.port as number) <= 65_535)) {
      problem(`port ${JSON.stringify(m.port)} must be an integer from 1 to 65535`, 'port');
    }

    let database: string | null = null;
    if (m.database === undefined)
      problem('has no "database": name its Postgres database, or null if it keeps none');
    else if (m.database !== null && (typeof m.database !== 'string' || !DATABASE.test(m.database))) {
      problem(
        `database ${JSON.stringify(m.database)} must be a lowercase Postgres identifier or null`,
        'database',
      );
    } else if (typeof m.database === 'string') {
      database = m.database;
      const other = databaseOf.get(database);
      if (other !== undefined) {
        findings.push(
          finding(
            'no-foreign-database',
            file,
            at('database'),
            `database "${database}" is also the database of ${other}: each service has its own`,
          ),
        );
      } else databaseOf.set(database, name ?? unit.dir);
    }

    if (typeof m.description !== 'string' || m.description === '') {
      problem('has no "description": one sentence on what the service is for', 'description');
    }
    // The registry is the one place that says who publishes and consumes what.
    for (const key of ['produces', 'consumes']) {
      if (m[key] !== undefined) {
        problem(
          `"${key}" does not belong in service.json: declare owners and consumers in the bus registry (infra/bus)`,
          key,
        );
      }
    }

    services.push({ name: name ?? basename(unit.dir), unit, database });
  }
  return { services, findings };
}

function checkAdr(adr: unknown, adrs: ReadonlyMap<string, Adr>, problem: (message: string) => void) {
  if (adr === undefined)
    return problem('has no "adr": the four-digit number of the ADR that defines its plane');
  if (typeof adr !== 'string' || !ADR_NUMBER.test(adr)) {
    return problem(`adr ${JSON.stringify(adr)} must be a four-digit ADR number such as "0005"`);
  }
  const record = adrs.get(adr);
  if (!record) return problem(`ADR ${adr} does not exist: no adr/${adr}-*.md`);
  const successor = supersededBy(record);
  if (successor !== undefined) {
    problem(
      `ADR ${adr} (${record.file}) is ${record.status}: name the ADR in force${successor === '?' ? '' : `, ${successor}`}`,
    );
  }
}
