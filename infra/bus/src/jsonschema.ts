import { z } from 'zod';
import type { PayloadSchema, Registry } from './model.ts';

/** The JSON Schema document of a payload schema, `$id` set to its stable URL. */
export function jsonSchemaOf(schema: PayloadSchema): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(schema.zod, {
    target: 'draft-2020-12',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return { $schema, $id: schema.url, ...rest };
}

/** Every payload schema of a registry, once each, keyed by `<id>.v<version>.json`. */
export function registrySchemaFiles(registry: Registry): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of [...registry.topics, ...registry.subjects]) {
    for (const schema of [entry.schema, 'reply' in entry ? entry.reply : undefined]) {
      if (!schema) continue;
      files.set(`${schema.id}.v${schema.version}.json`, `${JSON.stringify(jsonSchemaOf(schema), null, 2)}\n`);
    }
  }
  return files;
}
