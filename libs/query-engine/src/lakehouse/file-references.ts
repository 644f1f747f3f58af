import { type SqlToken, sqlTokens } from '../sql/sql-tokens.ts';

/**
 * Table functions that read or list files by path. Once the warehouse bucket is open to the engine
 * (the `lakehouse` catalog), they would reach lakehouse files around the per-user catalog check.
 */
export const FILE_FUNCTIONS = /^(read_[a-z_]+|[a-z_]+_scan|glob|sniff_csv|parquet_[a-z_]+|iceberg_[a-z_]+)$/;

/** Keywords after which a string literal is a file DuckDB reads (`FROM 's3://…'`, `PIVOT 'x.csv'`). */
const TABLE_POSITIONS = new Set(['from', 'join', 'pivot', 'unpivot', 'describe', 'summarize', 'show']);
/** Keywords that end a FROM list at their parenthesis depth. */
const CLAUSES = new Set([
  'select',
  'where',
  'group',
  'having',
  'order',
  'limit',
  'qualify',
  'window',
  'on',
  'using',
  'union',
  'except',
  'intersect',
  'returning',
  'set',
  'values',
]);

/**
 * A file the statement names as a table, if any: a string literal in a table position (after FROM,
 * JOIN, a comma of a FROM list, PIVOT, DESCRIBE, …) or a quoted identifier holding a URL, both of
 * which DuckDB reads as files. Literals are found in the text between tokens, so a comment holding a
 * quote there counts as well: refusing a harmless statement is the safe mistake.
 */
export function fileReference(sql: string): string | undefined {
  const tokens = sqlTokens(sql);
  // The clause each parenthesis depth is in, to tell `FROM a, 'b'` from `SELECT a, 'b'`.
  const clauses: string[] = [''];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as SqlToken;
    if (token.kind === 'quoted' && token.text.includes('://')) return `"${token.text}"`;
    if (token.text === '(') clauses.push('');
    else if (token.text === ')' && clauses.length > 1) clauses.pop();
    else if (token.kind === 'word' && (TABLE_POSITIONS.has(token.text) || CLAUSES.has(token.text)))
      clauses[clauses.length - 1] = token.text;
    const clause = clauses[clauses.length - 1] as string;
    const tablePosition =
      (token.kind === 'word' && TABLE_POSITIONS.has(token.text)) ||
      (token.text === ',' && (clause === 'from' || clause === 'join'));
    if (!tablePosition) continue;
    const gap = sql.slice(token.at + token.text.length, tokens[i + 1]?.at ?? sql.length);
    if (gap.includes("'")) return `${token.text} '…'`;
  }
  return undefined;
}
