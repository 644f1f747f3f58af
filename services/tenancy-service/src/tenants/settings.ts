import type { JsonObject } from '../database.ts';

function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep merge where `override` wins; objects merge key by key, anything else (arrays too) is replaced. */
export function deepMerge(base: JsonObject, override: JsonObject): JsonObject {
  const result: JsonObject = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = result[key];
    result[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return result;
}

/** JSON Merge Patch (RFC 7396): objects merge recursively, null removes a key. */
export function mergePatch(target: JsonObject, patch: JsonObject): JsonObject {
  const result: JsonObject = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete result[key];
    } else if (isPlainObject(value)) {
      const current = result[key];
      result[key] = mergePatch(isPlainObject(current) ? current : {}, value);
    } else {
      result[key] = value;
    }
  }
  return result;
}

export interface SettingsLayer {
  id: string;
  slug: string;
  settings: JsonObject;
}

export interface EffectiveSettings {
  tenantId: string;
  settings: JsonObject;
  sources: Record<string, { tenantId: string; slug: string }>;
  chain: { id: string; slug: string }[];
}

/** Resolves settings along a chain given root first: each tenant overrides its ancestors. */
export function resolveEffectiveSettings(chain: SettingsLayer[]): EffectiveSettings {
  const self = chain.at(-1);
  if (!self) throw new Error('resolveEffectiveSettings needs at least the tenant itself');
  let settings: JsonObject = {};
  const sources: EffectiveSettings['sources'] = {};
  for (const layer of chain) {
    settings = deepMerge(settings, layer.settings);
    for (const key of Object.keys(layer.settings)) sources[key] = { tenantId: layer.id, slug: layer.slug };
  }
  return { tenantId: self.id, settings, sources, chain: chain.map(({ id, slug }) => ({ id, slug })) };
}
