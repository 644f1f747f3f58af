import { RequestMethod } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import type { ModulesContainer } from '@nestjs/core';
import { z } from 'zod';
import {
  API_OPERATION,
  type ApiOperationOptions,
  schemaName,
  ZOD_PARTS,
  type ZodPartMetadata,
} from '../http/zod.ts';
import type { ServiceManifest } from '../manifest/manifest.ts';

type JsonSchema = Record<string, unknown>;
export type OpenApiDocument = Record<string, unknown> & { paths: Record<string, Record<string, unknown>> };

const errorBodySchema = z.object({
  error: z.object({
    code: z
      .string()
      .meta({ description: 'Stable machine-readable code, e.g. VALIDATION_FAILED or TENANT_CYCLE' }),
    message: z.string(),
    details: z
      .unknown()
      .optional()
      .meta({ description: 'For VALIDATION_FAILED: [{path, location, message}]' }),
    requestId: z.string(),
  }),
});

function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  delete json.$schema;
  return json;
}

function joinPath(...parts: string[]): string {
  const joined = `/${parts
    .flatMap((p) => p.split('/'))
    .filter(Boolean)
    .join('/')}`;
  return joined.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function asArray(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return [value === undefined ? '' : String(value)];
}

/** Builds the OpenAPI 3.1 document from the controllers' routes and their zod schemas. */
export function buildOpenApiDocument(modules: ModulesContainer, manifest: ServiceManifest): OpenApiDocument {
  const components: Record<string, JsonSchema> = { ErrorBody: toJsonSchema(errorBodySchema, 'output') };
  const ref = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
    const name = schemaName(schema);
    if (!name) return toJsonSchema(schema, io);
    components[name] ??= toJsonSchema(schema, io);
    return { $ref: `#/components/schemas/${name}` };
  };

  const paths: Record<string, Record<string, unknown>> = {};
  const controllers = [...modules.values()]
    .flatMap((module) => [...module.controllers.values()])
    .map((wrapper) => wrapper.metatype as (new (...args: never[]) => unknown) | null)
    .filter((type): type is new (...args: never[]) => unknown => typeof type === 'function')
    .sort((a, b) => a.name.localeCompare(b.name));

  for (const controller of controllers) {
    const prefixes = asArray(Reflect.getMetadata(PATH_METADATA, controller));
    const proto = controller.prototype as Record<string, unknown>;
    for (const key of Object.getOwnPropertyNames(proto)) {
      const handler = proto[key];
      if (key === 'constructor' || typeof handler !== 'function') continue;
      const method: RequestMethod | undefined = Reflect.getMetadata(METHOD_METADATA, handler);
      if (method === undefined) continue;
      const operation: ApiOperationOptions | undefined = Reflect.getMetadata(API_OPERATION, proto, key);
      if (!operation) continue; // undocumented routes (health, the document itself) stay out
      const parts: ZodPartMetadata[] = Reflect.getMetadata(ZOD_PARTS, proto, key) ?? [];
      const httpMethod = RequestMethod[method].toLowerCase();
      const status =
        operation.response?.status ??
        Reflect.getMetadata(HTTP_CODE_METADATA, handler) ??
        (httpMethod === 'post' ? 201 : 200);

      const parameters: JsonSchema[] = [];
      let requestBody: JsonSchema | undefined;
      for (const part of parts) {
        if (part.location === 'params' && part.name) {
          parameters.push({
            name: part.name,
            in: 'path',
            required: true,
            schema: toJsonSchema(part.schema, 'input'),
          });
        } else if (part.location === 'query') {
          const json = toJsonSchema(part.schema, 'input');
          const required = new Set((json.required as string[] | undefined) ?? []);
          for (const [name, schema] of Object.entries(
            (json.properties as Record<string, JsonSchema>) ?? {},
          )) {
            const { description, ...rest } = schema;
            parameters.push({
              name,
              in: 'query',
              required: required.has(name),
              ...(description ? { description } : {}),
              schema: rest,
            });
          }
        } else if (part.location === 'body') {
          requestBody = {
            required: true,
            content: { 'application/json': { schema: ref(part.schema, 'input') } },
          };
        }
      }
      parameters.sort((a, b) => (a.in === b.in ? 0 : a.in === 'path' ? -1 : 1));

      const responses: Record<string, unknown> = {};
      const success = operation.response;
      responses[String(status)] = {
        description: success?.description ?? 'OK',
        ...(success?.schema
          ? { content: { 'application/json': { schema: ref(success.schema, 'output') } } }
          : {}),
      };
      for (const [code, description] of Object.entries(operation.errors ?? {})) {
        responses[code] = {
          description,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } },
        };
      }

      for (const prefix of prefixes) {
        for (const path of asArray(Reflect.getMetadata(PATH_METADATA, handler))) {
          const route = joinPath(prefix, path);
          paths[route] ??= {};
          paths[route][httpMethod] = {
            operationId: `${controller.name.replace(/Controller$/, '')}_${key}`,
            summary: operation.summary,
            ...(operation.description ? { description: operation.description } : {}),
            tags: operation.tags ?? [controller.name.replace(/Controller$/, '')],
            ...(parameters.length ? { parameters } : {}),
            ...(requestBody ? { requestBody } : {}),
            responses,
          };
        }
      }
    }
  }

  const sortedPaths = Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b)));
  const sortedComponents = Object.fromEntries(
    Object.entries(components).sort(([a], [b]) => a.localeCompare(b)),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: manifest.name,
      version: '1',
      description: manifest.description,
      'x-openfoundry-plane': manifest.plane,
      'x-openfoundry-adr': manifest.adr,
    },
    paths: sortedPaths,
    components: { schemas: sortedComponents },
  };
}

/** Serialised exactly as committed, so the drift test can compare bytes. */
export function serializeOpenApiDocument(document: OpenApiDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
