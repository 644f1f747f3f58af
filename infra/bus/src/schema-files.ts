import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registrySchemaFiles } from './jsonschema.ts';
import type { Registry } from './model.ts';

/** Where the committed JSON Schemas of the platform registry live. */
export const SCHEMA_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'schemas');

/** Writes every payload schema as JSON Schema and removes files no entry uses any more. */
export function writeSchemaFiles(registry: Registry, dir = SCHEMA_DIR): string[] {
  const files = registrySchemaFiles(registry);
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(dir))
    if (name.endsWith('.json') && !files.has(name)) rmSync(join(dir, name));
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
  return [...files.keys()].sort();
}

/** The schema files that differ from what the registry generates (missing, stale or extra). */
export function schemaDrift(registry: Registry, dir = SCHEMA_DIR): string[] {
  const files = registrySchemaFiles(registry);
  const drift: string[] = [];
  for (const [name, text] of files) {
    const path = join(dir, name);
    if (!existsSync(path)) drift.push(`${name}: missing`);
    else if (readFileSync(path, 'utf8') !== text) drift.push(`${name}: differs from the registry`);
  }
  if (existsSync(dir)) {
    for (const name of readdirSync(dir)) {
      if (name.endsWith('.json') && !files.has(name)) drift.push(`${name}: no registry entry uses it`);
    }
  }
  return drift;
}
