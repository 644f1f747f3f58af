import { Body, Param, type PipeTransform, Query } from '@nestjs/common';
import type { z } from 'zod';
import { type FieldError, ValidationError } from '../errors/domain-error.ts';
import { zodIssuesToFieldErrors } from '../errors/error-mapping.ts';

export type RequestPart = NonNullable<FieldError['location']>;

/** Parses one part of a request with a zod schema; failures become 400 VALIDATION_FAILED with field errors. */
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(
    private readonly schema: S,
    private readonly location: RequestPart,
  ) {}

  transform(value: unknown): z.output<S> {
    // A request without a body arrives as undefined; validate it as "missing" rather than crash.
    const result = this.schema.safeParse(value);
    if (result.success) return result.data;
    const message =
      this.location === 'params'
        ? 'invalid path parameter'
        : `invalid request ${this.location === 'body' ? 'body' : 'query'}`;
    throw new ValidationError(message, zodIssuesToFieldErrors(result.error, this.location));
  }
}

export const ZOD_PARTS = Symbol('openfoundry:zod-parts');
export interface ZodPartMetadata {
  location: RequestPart;
  name?: string;
  schema: z.ZodType;
}

function record(target: object, key: string | symbol | undefined, part: ZodPartMetadata): void {
  if (key === undefined) return;
  const existing: ZodPartMetadata[] = Reflect.getMetadata(ZOD_PARTS, target, key) ?? [];
  Reflect.defineMetadata(ZOD_PARTS, [...existing, part], target, key);
}

/** The request body, validated by `schema` and documented in the OpenAPI document. */
export function ZodBody(schema: z.ZodType): ParameterDecorator {
  const inner = Body(new ZodValidationPipe(schema, 'body'));
  return (target, key, index) => {
    record(target, key, { location: 'body', schema });
    inner(target, key, index);
  };
}

/** The query string as an object, validated by `schema` (a z.object of optional/coerced fields). */
export function ZodQuery(schema: z.ZodType): ParameterDecorator {
  const inner = Query(new ZodValidationPipe(schema, 'query'));
  return (target, key, index) => {
    record(target, key, { location: 'query', schema });
    inner(target, key, index);
  };
}

/** One path parameter, validated by `schema` (e.g. `z.uuid()`). */
export function ZodParam(name: string, schema: z.ZodType): ParameterDecorator {
  const inner = Param(name, new ZodValidationPipe(schema, 'params'));
  return (target, key, index) => {
    record(target, key, { location: 'params', name, schema });
    inner(target, key, index);
  };
}

export const API_OPERATION = Symbol('openfoundry:api-operation');
export interface ApiOperationOptions {
  summary: string;
  description?: string;
  tags?: string[];
  /** The success response; `null` documents an empty body (204). */
  response?: { status?: number; schema: z.ZodType | null; description?: string };
  /** Error statuses this operation can return, each with the shared error body. */
  errors?: Record<number, string>;
}

/** Documents a route in the OpenAPI document; request parts come from the Zod* parameter decorators. */
export function ApiOperation(options: ApiOperationOptions): MethodDecorator {
  return (target, key) => {
    Reflect.defineMetadata(API_OPERATION, options, target, key);
  };
}

const names = new WeakMap<z.ZodType, string>();

/** Names a schema so the OpenAPI document lists it under components.schemas and refers to it. */
export function apiSchema<S extends z.ZodType>(name: string, schema: S): S {
  names.set(schema, name);
  return schema;
}

export function schemaName(schema: z.ZodType): string | undefined {
  return names.get(schema);
}
