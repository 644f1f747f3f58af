import { ASSET_ID, ATTRIBUTE } from '@openfoundry/bus-registry';
import { InvalidFilterError, TooManyFiltersError } from '../live.errors.ts';

export const ANY = '*';

/** One subscription inside a tenant: an asset (or any) and an attribute (or any). */
export interface LiveFilter {
  readonly asset: string;
  readonly attribute: string;
}

/** The key of a filter inside a tenant; also the tail of its NATS subject. */
export const filterKey = (filter: LiveFilter) => `${filter.asset}.${filter.attribute}`;

export function matches(filter: LiveFilter, asset: string, attribute: string): boolean {
  return (
    (filter.asset === ANY || filter.asset === asset) &&
    (filter.attribute === ANY || filter.attribute === attribute)
  );
}

function token(value: unknown, pattern: RegExp, what: string, at: string): string {
  if (value === undefined || value === '') return ANY;
  if (typeof value === 'string' && (value === ANY || pattern.test(value))) return value;
  throw new InvalidFilterError(`${at}: ${what} must be * or letters, digits, _ and - (at most 128)`, {
    path: at,
    value,
  });
}

/** Validates one filter given as an object (`{ asset, attribute }`, either left out meaning *). */
export function parseFilter(value: unknown, at = 'filter'): LiveFilter {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InvalidFilterError(`${at}: a filter is an object { "asset": …, "attribute": … }`, { path: at });
  const { asset, attribute, ...rest } = value as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0)
    throw new InvalidFilterError(`${at}: unknown field ${unknown[0]}`, { path: at, fields: unknown });
  return {
    asset: token(asset, ASSET_ID, 'asset', `${at}.asset`),
    attribute: token(attribute, ATTRIBUTE, 'attribute', `${at}.attribute`),
  };
}

/** Parses `<asset>.<attribute>` (either part `*`), the list form of the query string. */
export function parseFilterText(text: string, at: string): LiveFilter {
  const parts = text.split('.');
  if (parts.length !== 2)
    throw new InvalidFilterError(
      `${at}: a filter is <asset>.<attribute>, either part * (got ${JSON.stringify(text)})`,
      {
        path: at,
        value: text,
      },
    );
  return parseFilter({ asset: parts[0], attribute: parts[1] }, at);
}

/** Drops repeated filters, keeping first occurrences in order. */
export function uniqueFilters(filters: readonly LiveFilter[]): LiveFilter[] {
  const seen = new Set<string>();
  return filters.filter((f) => {
    const key = filterKey(f);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const list = (value: unknown): unknown[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/**
 * The filters of a live request's query string: `asset` and `attribute` (one filter, either
 * defaulting to *), and/or `filter=<asset>.<attribute>`, repeated or comma-separated. No filter at
 * all means the whole tenant (`*.*`).
 */
export function filtersFromQuery(query: Record<string, unknown>, limit: number): LiveFilter[] {
  const filters: LiveFilter[] = [];
  for (const name of ['asset', 'attribute'])
    if (list(query[name]).length > 1)
      throw new InvalidFilterError(`${name} may be given once; use filter=<asset>.<attribute> for several`, {
        path: name,
      });
  const texts = list(query.filter).flatMap((v) => (typeof v === 'string' ? v.split(',') : [v]));
  texts.forEach((text, i) => {
    if (typeof text !== 'string') throw new InvalidFilterError('filter must be text', { path: 'filter' });
    filters.push(parseFilterText(text, `filter[${i}]`));
  });
  if (query.asset !== undefined || query.attribute !== undefined || filters.length === 0)
    filters.unshift(parseFilter({ asset: query.asset, attribute: query.attribute }, 'query'));
  const unique = uniqueFilters(filters);
  if (unique.length > limit) throw new TooManyFiltersError(limit);
  return unique;
}
