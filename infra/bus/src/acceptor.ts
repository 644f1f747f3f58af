import type { z } from 'zod';
import type { PayloadSchema } from './model.ts';

/**
 * A quick yes to a payload schema (ADR 0024): true only for a value the schema accepts as it is,
 * so that parsing it would succeed and return an equal value. False means "ask Zod": the value
 * may still be valid (an unknown key Zod strips, a construct this does not cover) or invalid, and
 * only Zod says which and why.
 */
export type Acceptor = (value: unknown) => boolean;

interface Def {
  readonly type: string;
  readonly [field: string]: unknown;
}
interface CheckDef {
  readonly check: string;
  readonly [field: string]: unknown;
}

/** Thrown inside the compiler for a construct it does not cover; the schema then has no acceptor. */
class NotCovered extends Error {}

const defOf = (schema: unknown): Def => (schema as { _zod: { def: Def } })._zod.def;
const checkDefsOf = (def: Def): CheckDef[] =>
  ((def.checks as unknown[] | undefined) ?? []).map((check) => defOf(check) as unknown as CheckDef);

/** String formats whose whole check is their pattern (the rest, e.g. `url` or `jwt`, run code). */
const PATTERN_FORMATS = new Set(['regex', 'uuid', 'guid', 'datetime', 'date', 'time']);

function patternOf(def: Readonly<Record<string, unknown>>): RegExp {
  const { pattern, format } = def;
  if (!PATTERN_FORMATS.has(String(format)) || !(pattern instanceof RegExp)) throw new NotCovered();
  // A global or sticky pattern carries state between tests; Zod resets it, this would not.
  if (pattern.global || pattern.sticky) throw new NotCovered();
  return pattern;
}

type Test = (value: never) => boolean;

const LENGTH_CHECKS = new Set(['min_length', 'max_length', 'length_equals']);

/** The checks a string, number or array def carries, as tests on a value already of that type. */
function checkTests(def: Def, lengthOf: boolean): Test[] {
  return checkDefsOf(def).map((check): Test => {
    // Zod runs a check with a `when` only if that says so. The length checks' one asks whether
    // the value has a length, which a string or an array always has; any other is not covered.
    const isLength = LENGTH_CHECKS.has(check.check);
    if (check.when !== undefined && !isLength) throw new NotCovered();
    if (isLength && !lengthOf) throw new NotCovered();
    switch (check.check) {
      case 'min_length': {
        const min = check.minimum as number;
        return (v: { length: number }) => v.length >= min;
      }
      case 'max_length': {
        const max = check.maximum as number;
        return (v: { length: number }) => v.length <= max;
      }
      case 'length_equals': {
        const length = check.length as number;
        return (v: { length: number }) => v.length === length;
      }
      case 'string_format': {
        const pattern = patternOf(check);
        return (v: string) => pattern.test(v);
      }
      case 'greater_than': {
        const bound = check.value;
        if (typeof bound !== 'number') throw new NotCovered();
        return check.inclusive ? (v: number) => v >= bound : (v: number) => v > bound;
      }
      case 'less_than': {
        const bound = check.value;
        if (typeof bound !== 'number') throw new NotCovered();
        return check.inclusive ? (v: number) => v <= bound : (v: number) => v < bound;
      }
      case 'number_format':
        if (check.format !== 'safeint') throw new NotCovered();
        return (v: number) => Number.isSafeInteger(v);
      default:
        throw new NotCovered();
    }
  });
}

function all(tests: Test[]): (value: never) => boolean {
  if (tests.length === 0) return () => true;
  if (tests.length === 1) return tests[0] as Test;
  return (value) => {
    for (const test of tests) if (!test(value)) return false;
    return true;
  };
}

/** A plain object: what JSON.parse makes and what Zod copies an object schema's output into. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function compile(schema: unknown): Acceptor {
  const def = defOf(schema);
  // Coercion changes the value; `checks` on types below that take none are refinements (code).
  if (def.coerce) throw new NotCovered();
  switch (def.type) {
    case 'string': {
      const format = def.format === undefined ? undefined : patternOf(def);
      const checks = all(checkTests(def, true));
      return format
        ? (v) => typeof v === 'string' && format.test(v) && checks(v as never)
        : (v) => typeof v === 'string' && checks(v as never);
    }
    case 'number': {
      // z.number() takes no NaN or ±Infinity; neither can come out of JSON.
      const tests = checkTests(def, false);
      if (def.format !== undefined) {
        // z.int() and friends carry their format on the schema itself.
        if (def.format !== 'safeint') throw new NotCovered();
        tests.push((v: number) => Number.isSafeInteger(v));
      }
      const checks = all(tests);
      return (v) => typeof v === 'number' && Number.isFinite(v) && checks(v as never);
    }
    case 'boolean':
      noChecks(def);
      return (v) => typeof v === 'boolean';
    case 'null':
      noChecks(def);
      return (v) => v === null;
    case 'unknown':
    case 'any':
      noChecks(def);
      return () => true;
    case 'enum':
    case 'literal': {
      noChecks(def);
      // The set of values Zod itself checks against.
      const values = (schema as { _zod: { values?: unknown } })._zod.values;
      if (!(values instanceof Set)) throw new NotCovered();
      return (v) => values.has(v);
    }
    case 'optional': {
      noChecks(def);
      const inner = compile(def.innerType);
      return (v) => v === undefined || inner(v);
    }
    case 'nullable': {
      noChecks(def);
      const inner = compile(def.innerType);
      return (v) => v === null || inner(v);
    }
    case 'union': {
      noChecks(def);
      const options = (def.options as unknown[]).map(compile);
      return (v) => {
        for (const option of options) if (option(v)) return true;
        return false;
      };
    }
    case 'array': {
      const element = compile(def.element);
      const checks = all(checkTests(def, true));
      return (v) => {
        if (!Array.isArray(v) || !checks(v as never)) return false;
        for (const item of v) if (!element(item)) return false;
        return true;
      };
    }
    case 'object': {
      noChecks(def);
      // Whatever the object does with unknown keys (strip, reject, keep), a value without any is
      // treated alike; one with an unknown key is left to Zod.
      const fields = Object.entries(def.shape as Record<string, unknown>).map(([key, field]) => {
        // A missing key reads as whatever Object.prototype has under that name.
        if (key in Object.prototype) throw new NotCovered();
        // Zod lets a key be missing only when its schema is optional on input (not z.unknown()).
        const optional = (field as { _zod: { optin?: string } })._zod.optin === 'optional';
        return { key, accept: compile(field), optional };
      });
      const keys = new Set(fields.map(({ key }) => key));
      return (v) => {
        if (!isPlainObject(v)) return false;
        for (const key in v) if (!keys.has(key)) return false;
        for (const { key, accept, optional } of fields) {
          const value = v[key];
          if (value === undefined && !optional && !(key in v)) return false;
          if (!accept(value)) return false;
        }
        return true;
      };
    }
    default:
      // Defaults, transforms, pipes, refinements, records, tuples, dates, …: Zod only.
      throw new NotCovered();
  }
}

function noChecks(def: Def): void {
  if (checkDefsOf(def).length > 0) throw new NotCovered();
}

/** The acceptor of a Zod schema, or undefined when it uses something an acceptor does not cover. */
export function compileAcceptor(schema: z.ZodType): Acceptor | undefined {
  try {
    return compile(schema);
  } catch (error) {
    if (error instanceof NotCovered) return undefined;
    throw error;
  }
}

const acceptors = new WeakMap<PayloadSchema<unknown>, Acceptor | null>();

/** The acceptor of a payload schema, compiled on first use; undefined when it has none. */
export function acceptorOf(schema: PayloadSchema<unknown>): Acceptor | undefined {
  let acceptor = acceptors.get(schema);
  if (acceptor === undefined) {
    acceptor = compileAcceptor(schema.zod) ?? null;
    acceptors.set(schema, acceptor);
  }
  return acceptor ?? undefined;
}

/**
 * What `schema.zod.safeParse(value)` says, through the acceptor first: a value it takes comes
 * back as it is (not a copy), anything else goes to Zod for the verdict and the issues.
 */
export function parsePayload<T>(schema: PayloadSchema<T>, value: unknown): z.ZodSafeParseResult<T> {
  if (acceptorOf(schema as PayloadSchema<unknown>)?.(value)) return { success: true, data: value as T };
  return schema.zod.safeParse(value);
}
