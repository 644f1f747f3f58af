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

const LENGTH_CHECKS = new Set(['min_length', 'max_length', 'length_equals']);

/**
 * The acceptor's source, written as one function (ADR 0032): a statement list per construct that
 * returns false as soon as the value at hand is not accepted as it is. Values the source cannot
 * spell (patterns, value sets, bounds) are constants handed in, never text of the schema.
 */
class Source {
  readonly constants: unknown[] = [];
  /** Union options, each a function of its own in the same source. */
  readonly functions: string[] = [];
  #names = 0;

  constant(value: unknown): string {
    this.constants.push(value);
    return `k${this.constants.length - 1}`;
  }

  name(prefix: string): string {
    return `${prefix}${this.#names++}`;
  }
}

/** Statements that return false unless the string, number or array in `x` passes `def`'s checks. */
function checkStatements(def: Def, x: string, lengthOf: boolean, source: Source): string {
  return checkDefsOf(def)
    .map((check): string => {
      // Zod runs a check with a `when` only if that says so. The length checks' one asks whether
      // the value has a length, which a string or an array always has; any other is not covered.
      const isLength = LENGTH_CHECKS.has(check.check);
      if (check.when !== undefined && !isLength) throw new NotCovered();
      if (isLength && !lengthOf) throw new NotCovered();
      switch (check.check) {
        case 'min_length':
          return `if (!(${x}.length >= ${source.constant(check.minimum)})) return false;`;
        case 'max_length':
          return `if (!(${x}.length <= ${source.constant(check.maximum)})) return false;`;
        case 'length_equals':
          return `if (${x}.length !== ${source.constant(check.length)}) return false;`;
        case 'string_format':
          return `if (!${source.constant(patternOf(check))}.test(${x})) return false;`;
        case 'greater_than':
        case 'less_than': {
          const bound = check.value;
          if (typeof bound !== 'number') throw new NotCovered();
          const operator = check.check === 'greater_than' ? '>' : '<';
          return `if (!(${x} ${operator}${check.inclusive ? '=' : ''} ${source.constant(bound)})) return false;`;
        }
        case 'number_format':
          if (check.format !== 'safeint') throw new NotCovered();
          return `if (!Number.isSafeInteger(${x})) return false;`;
        default:
          throw new NotCovered();
      }
    })
    .join('\n');
}

/** A plain object: what JSON.parse makes and what Zod copies an object schema's output into. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Statements that return false unless the value in the variable `x` is accepted by `schema`. */
function statements(schema: unknown, x: string, source: Source): string {
  const def = defOf(schema);
  // Coercion changes the value; `checks` on types below that take none are refinements (code).
  if (def.coerce) throw new NotCovered();
  switch (def.type) {
    case 'string': {
      const format =
        def.format === undefined ? '' : `if (!${source.constant(patternOf(def))}.test(${x})) return false;`;
      return `if (typeof ${x} !== 'string') return false;\n${format}\n${checkStatements(def, x, true, source)}`;
    }
    case 'number': {
      // z.number() takes no NaN or ±Infinity; neither can come out of JSON.
      let format = '';
      if (def.format !== undefined) {
        // z.int() and friends carry their format on the schema itself.
        if (def.format !== 'safeint') throw new NotCovered();
        format = `if (!Number.isSafeInteger(${x})) return false;`;
      }
      return `if (typeof ${x} !== 'number' || !Number.isFinite(${x})) return false;\n${checkStatements(def, x, false, source)}\n${format}`;
    }
    case 'boolean':
      noChecks(def);
      return `if (typeof ${x} !== 'boolean') return false;`;
    case 'null':
      noChecks(def);
      return `if (${x} !== null) return false;`;
    case 'unknown':
    case 'any':
      noChecks(def);
      return '';
    case 'enum':
    case 'literal': {
      noChecks(def);
      // The set of values Zod itself checks against.
      const values = (schema as { _zod: { values?: unknown } })._zod.values;
      if (!(values instanceof Set)) throw new NotCovered();
      return `if (!${source.constant(values)}.has(${x})) return false;`;
    }
    case 'optional':
      noChecks(def);
      return `if (${x} !== undefined) {\n${statements(def.innerType, x, source)}\n}`;
    case 'nullable':
      noChecks(def);
      return `if (${x} !== null) {\n${statements(def.innerType, x, source)}\n}`;
    case 'union': {
      noChecks(def);
      const options = (def.options as unknown[]).map((option) => {
        const name = source.name('option');
        source.functions.push(`function ${name}(u) {\n${statements(option, 'u', source)}\nreturn true;\n}`);
        return `${name}(${x})`;
      });
      return `if (!(${options.join(' || ')})) return false;`;
    }
    case 'array': {
      const index = source.name('i');
      const item = source.name('item');
      return [
        `if (!Array.isArray(${x})) return false;`,
        checkStatements(def, x, true, source),
        `for (let ${index} = 0; ${index} < ${x}.length; ${index}++) {`,
        `const ${item} = ${x}[${index}];`,
        statements(def.element, item, source),
        '}',
      ].join('\n');
    }
    case 'object': {
      noChecks(def);
      const key = source.name('key');
      const fields = Object.entries(def.shape as Record<string, unknown>).map(([name, field]) => {
        // A missing key reads as whatever Object.prototype has under that name.
        if (name in Object.prototype) throw new NotCovered();
        // Zod lets a key be missing only when its schema is optional on input (not z.unknown()).
        const optional = (field as { _zod: { optin?: string } })._zod.optin === 'optional';
        const literal = JSON.stringify(name);
        const value = source.name('field');
        return [
          `const ${value} = ${x}[${literal}];`,
          optional ? '' : `if (${value} === undefined && !(${literal} in ${x})) return false;`,
          statements(field, value, source),
        ].join('\n');
      });
      const names = Object.keys(def.shape as Record<string, unknown>);
      // Whatever the object does with unknown keys (strip, reject, keep), a value without any is
      // treated alike; one with an unknown key is left to Zod.
      const unknownKeys =
        names.length === 0
          ? `for (const ${key} in ${x}) return false;`
          : `for (const ${key} in ${x}) switch (${key}) {\n${names.map((name) => `case ${JSON.stringify(name)}:`).join('\n')}\nbreak;\ndefault:\nreturn false;\n}`;
      return [`if (!isPlainObject(${x})) return false;`, unknownKeys, ...fields].join('\n');
    }
    default:
      // Defaults, transforms, pipes, refinements, records, tuples, dates, …: Zod only.
      throw new NotCovered();
  }
}

function noChecks(def: Def): void {
  if (checkDefsOf(def).length > 0) throw new NotCovered();
}

/** The one function `statements` wrote for `schema`, with its constants bound. */
function compile(schema: unknown): Acceptor {
  const source = new Source();
  const body = statements(schema, 'value', source);
  const constants = source.constants.map((_, i) => `const k${i} = constants[${i}];`).join('\n');
  const text = `${constants}\n${source.functions.join('\n')}\nreturn function accept(value) {\n${body}\nreturn true;\n};`;
  // The text is built from the schema's structure only (key names as JSON string literals); every
  // value it tests against is one of `constants`.
  return new Function('constants', 'isPlainObject', text)(source.constants, isPlainObject) as Acceptor;
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
