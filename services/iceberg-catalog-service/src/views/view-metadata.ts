import { z } from 'zod';
import { BadRequestError, CommitFailedError } from '../catalog.errors.ts';
import { applyLocationOrProperties, schemaSchema, sharedUpdateSchemas } from '../metadata/commit.schema.ts';
import { freshSchema } from '../metadata/new-table.ts';
import type { Schema } from '../metadata/table-metadata.ts';
import { addSchema, canonical } from '../metadata/updates.ts';

/** -1 in set-current-view-version and a version's schema-id: "the one this commit added". */
const LAST_ADDED = -1;
const VIEW_FORMAT_VERSION = 1;

export const viewVersionSchema = z.looseObject({
  'version-id': z.number().int(),
  'timestamp-ms': z.number().int(),
  'schema-id': z.number().int(),
  summary: z.record(z.string(), z.string()).default({}),
  representations: z
    .array(z.looseObject({ type: z.literal('sql'), sql: z.string(), dialect: z.string() }))
    .min(1),
  'default-catalog': z.string().nullable().optional(),
  'default-namespace': z.array(z.string()),
});
export type ViewVersion = z.output<typeof viewVersionSchema>;

/** View metadata, format version 1 (the JSON file a view's metadata location points at). */
export interface ViewMetadata {
  'view-uuid': string;
  'format-version': number;
  location: string;
  'current-version-id': number;
  versions: ViewVersion[];
  'version-log': { 'timestamp-ms': number; 'version-id': number }[];
  schemas: Schema[];
  properties: Record<string, string>;
  [extra: string]: unknown;
}

export const createViewRequestSchema = z.object({
  name: z.string().min(1),
  location: z.string().min(1).optional(),
  schema: schemaSchema,
  'view-version': viewVersionSchema,
  properties: z.record(z.string(), z.string()).default({}),
});
export type CreateViewRequest = z.output<typeof createViewRequestSchema>;

export const viewRequirementSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('assert-view-uuid'), uuid: z.string() }),
]);

export const viewUpdateSchema = z.discriminatedUnion('action', [
  ...sharedUpdateSchemas,
  z.object({ action: z.literal('add-view-version'), 'view-version': viewVersionSchema }),
  z.object({ action: z.literal('set-current-view-version'), 'view-version-id': z.number().int() }),
]);
export type ViewUpdate = z.output<typeof viewUpdateSchema>;

export const commitViewRequestSchema = z.object({
  requirements: z.array(viewRequirementSchema).default([]),
  updates: z.array(viewUpdateSchema).default([]),
});
export type CommitViewRequest = z.output<typeof commitViewRequestSchema>;

export function newViewMetadata(request: CreateViewRequest, uuid: string, location: string): ViewMetadata {
  const { schema } = freshSchema(request.schema);
  const version: ViewVersion = {
    ...request['view-version'],
    'version-id': 1,
    'schema-id': schema['schema-id'],
  };
  return {
    'view-uuid': uuid,
    'format-version': VIEW_FORMAT_VERSION,
    location,
    'current-version-id': 1,
    versions: [version],
    'version-log': [{ 'timestamp-ms': version['timestamp-ms'], 'version-id': 1 }],
    schemas: [schema],
    properties: request.properties,
  };
}

/** Checks a view commit's requirements; a stale view is a CommitFailedException. */
export function checkViewRequirements(
  base: ViewMetadata,
  requirements: CommitViewRequest['requirements'],
): void {
  for (const requirement of requirements) {
    if (requirement.uuid.toLowerCase() !== base['view-uuid'].toLowerCase())
      throw new CommitFailedError(
        `Requirement failed: view UUID does not match: expected ${requirement.uuid}`,
      );
  }
}

/** Applies a view commit's updates (replace view) to a copy of `base`. */
export function applyViewUpdates(
  base: ViewMetadata,
  updates: readonly ViewUpdate[],
  nowMs: number,
): ViewMetadata {
  const view: ViewMetadata = structuredClone(base);
  let lastSchemaId: number | undefined;
  let lastVersionId: number | undefined;
  for (const update of updates) {
    switch (update.action) {
      case 'assign-uuid':
        if (update.uuid !== view['view-uuid']) throw new BadRequestError('Cannot reassign the view UUID');
        break;
      case 'upgrade-format-version':
        if (update['format-version'] !== VIEW_FORMAT_VERSION)
          throw new BadRequestError(`Unsupported view format version: ${update['format-version']}`);
        break;
      case 'add-schema': {
        lastSchemaId = addSchema(view.schemas, update.schema);
        break;
      }
      case 'set-location':
      case 'set-properties':
      case 'remove-properties':
        applyLocationOrProperties(view, update);
        break;
      case 'add-view-version': {
        const requested = update['view-version'];
        const schemaId = requested['schema-id'] === LAST_ADDED ? lastSchemaId : requested['schema-id'];
        if (schemaId === undefined || !view.schemas.some((s) => s['schema-id'] === schemaId))
          throw new BadRequestError(`View version refers to unknown schema ${requested['schema-id']}`);
        const { 'timestamp-ms': _t, 'version-id': _v, ...content } = { ...requested, 'schema-id': schemaId };
        const same = view.versions.find(
          ({ 'timestamp-ms': _ts, 'version-id': _id, ...existing }) =>
            canonical(existing) === canonical(content),
        );
        lastVersionId = same?.['version-id'] ?? Math.max(0, ...view.versions.map((v) => v['version-id'])) + 1;
        if (!same) view.versions.push({ ...requested, 'schema-id': schemaId, 'version-id': lastVersionId });
        break;
      }
      case 'set-current-view-version': {
        const id = update['view-version-id'] === LAST_ADDED ? lastVersionId : update['view-version-id'];
        if (id === undefined || !view.versions.some((v) => v['version-id'] === id))
          throw new BadRequestError(`Unknown view version ${update['view-version-id']}`);
        if (id !== view['current-version-id']) {
          view['current-version-id'] = id;
          view['version-log'].push({ 'timestamp-ms': nowMs, 'version-id': id });
        }
        break;
      }
    }
  }
  return view;
}
