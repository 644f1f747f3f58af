import { z } from 'zod';

/** pageToken and pageSize of the REST spec's list operations. */
export const pageQuerySchema = z.object({
  pageToken: z.string().optional().meta({ description: 'next-page-token of the previous page' }),
  pageSize: z.coerce.number().int().min(1).max(1000).optional(),
});
export type PageQuery = z.output<typeof pageQuerySchema>;

/**
 * Keyset paging: ask the database for `pageSize + 1` rows after the token; an extra row means
 * there is a next page, whose token is the key of the last row shown.
 */
export function toPage<T>(
  rows: T[],
  query: PageQuery,
  key: (row: T) => string,
): { items: T[]; next?: string } {
  const limit = query.pageSize;
  if (limit === undefined || rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return last === undefined ? { items } : { items, next: key(last) };
}

/** The row limit to ask the database for. */
export function fetchLimit(query: PageQuery): number | undefined {
  return query.pageSize === undefined ? undefined : query.pageSize + 1;
}
