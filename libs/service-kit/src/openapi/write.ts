import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateOpenApiDocument, type ServiceDefinition } from '../bootstrap.ts';
import { serializeOpenApiDocument } from './openapi.ts';

/** The nearest folder at or above `from` holding a package.json: a service's folder, from src/ or dist/. */
export function packageRoot(from: string | URL): string {
  let dir = dirname(typeof from === 'string' && !from.startsWith('file:') ? from : fileURLToPath(from));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${String(from)}`);
    dir = parent;
  }
  return dir;
}

/** Writes `openapi.json` into the service folder (the committed contract). */
export async function writeOpenApiDocument(
  definition: ServiceDefinition,
  serviceRoot: string,
): Promise<string> {
  const path = join(serviceRoot, 'openapi.json');
  writeFileSync(path, serializeOpenApiDocument(await generateOpenApiDocument(definition)));
  return path;
}

/** Compares the committed `openapi.json` with what the code generates now. */
export async function checkOpenApiDocument(
  definition: ServiceDefinition,
  serviceRoot: string,
): Promise<{ committed: string | undefined; generated: string }> {
  const path = join(serviceRoot, 'openapi.json');
  const generated = serializeOpenApiDocument(await generateOpenApiDocument(definition));
  return { committed: existsSync(path) ? readFileSync(path, 'utf8') : undefined, generated };
}
