import { readFileSync } from 'node:fs';
import { z } from 'zod';

const kebab = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * `service.json`: what a service is and where it listens. What it puts on and takes off the
 * buses is declared in the bus registry (infra/bus), not here.
 */
export const serviceManifestSchema = z.object({
  name: z.string().regex(kebab, 'must be lowercase kebab-case'),
  plane: z.enum(['control', 'ingestion', 'storage', 'compute', 'relational-state']),
  adr: z.string().regex(/^\d{4}$/, 'must be a four-digit ADR number such as "0005"'),
  port: z.number().int().min(1).max(65_535),
  database: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase Postgres identifier')
    .nullable(),
  description: z.string().min(1),
});

export type ServiceManifest = z.output<typeof serviceManifestSchema>;

export class ManifestError extends Error {
  override name = 'ManifestError';
}

export function parseManifest(raw: unknown, source = 'service manifest'): ServiceManifest {
  const result = serviceManifestSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ManifestError(`${source} is invalid:\n  ${problems.join('\n  ')}`);
  }
  return result.data;
}

export function loadManifest(path: string | URL): ServiceManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ManifestError(`cannot read service manifest ${String(path)}: ${(error as Error).message}`);
  }
  return parseManifest(raw, String(path));
}
