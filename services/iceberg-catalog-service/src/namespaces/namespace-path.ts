import { z } from 'zod';

/** The REST spec joins namespace levels in a URL with the unit separator (%1F). */
export const NAMESPACE_SEPARATOR = '\x1f';

const hasControlCharacter = (value: string) => [...value].some((c) => c.charCodeAt(0) < 0x20);

const levelSchema = z
  .string()
  .min(1)
  .max(255)
  .refine((value) => !hasControlCharacter(value), 'must not contain control characters');

export const namespaceSchema = z.array(levelSchema).min(1).max(16);

/** A namespace path parameter (`acme%1Ftelemetry`, already URL-decoded) as its levels. */
export const namespaceParamSchema = z
  .string()
  .min(1)
  .transform((value) => value.split(NAMESPACE_SEPARATOR))
  .pipe(namespaceSchema);

export const tableNameSchema = z
  .string()
  .min(1)
  .max(255)
  .refine(
    (value) => !hasControlCharacter(value) && !value.includes('/'),
    'must not contain / or control characters',
  );
