import { type SqlToken, sqlTokens } from './sql-tokens.ts';

/** What the router needs to know about a statement before any engine binds it. */
export interface StatementAnalysis {
  /** The served catalogs the statement may touch, lowercased, in first-mention order. */
  catalogs: string[];
  /**
   * Engine-wide listings the statement reads (`information_schema`, `duckdb_tables()`,
   * `SHOW ALL TABLES`, `pragma_*`): they show the objects of every catalog of the engine.
   */
  listings: string[];
  /** Set for `EXPLAIN …`; the rest of the analysis is of the explained statement. */
  explain: boolean;
  /** `parser`: read from DuckDB's parse tree; `tokens`: the conservative fallback (see `sqlTokens`). */
  method: 'parser' | 'tokens';
}

/** A SQL parser that returns DuckDB's serialized parse tree, or undefined when it cannot serialize the statement. */
export interface ParseTreeSource {
  parseTree(sql: string): Promise<ParsedStatements | undefined>;
}

/** The shape `json_serialize_sql` returns on success. */
export interface ParsedStatements {
  statements: unknown[];
}

type AstNode = Record<string, unknown>;

const LISTING_SCHEMAS = new Set(['information_schema', 'pg_catalog']);
/** Table and view names of the engine's own catalog listings (`duckdb_tables`, `pg_class`, `sqlite_master`). */
const LISTING_NAME = /^(duckdb_|pg_|sqlite_|pragma_)/;
const LISTING_FUNCTION = /^(duckdb_|pg_|sqlite_|pragma_|show|table_info$|summary$)/;
/** `SHOW ALL TABLES` and `SHOW DATABASES`; plain `SHOW TABLES` lists the session's schema only. */
const LISTING_SHOWS = new Set(['__show_tables_expanded', '"databases"']);
/** Statements that read the engine's catalog listings whatever they name. */
const LISTING_KEYWORDS = new Set(['pragma', 'show', 'describe', 'summarize']);

function walk(node: unknown, visit: (node: AstNode) => void): void {
  if (Array.isArray(node)) for (const item of node) walk(item, visit);
  else if (node !== null && typeof node === 'object') {
    visit(node as AstNode);
    for (const value of Object.values(node)) walk(value, visit);
  }
}

const text = (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : '');

/**
 * Finds the catalogs a statement touches from DuckDB's parse tree: every table reference
 * (`catalog.schema.table`, and `name.table` where `name` is a catalog, since DuckDB falls back to
 * a catalog when no schema has that name), table functions and qualified function calls, in CTEs,
 * subqueries, joins and set operations alike. Names inside literals or comments never count.
 * Statements the parser cannot serialize (DDL, DML, PIVOT, ATTACH, …) fall back to the tokens:
 * every identifier spelling a served catalog counts, which may refuse a statement that merely has
 * a column of that name, but never lets a catalog through unnoticed.
 */
export class StatementAnalyzer {
  constructor(private readonly parser: ParseTreeSource) {}

  async analyze(sql: string, served: readonly string[]): Promise<StatementAnalysis> {
    const catalogs = new Set(served.map((c) => c.toLowerCase()));
    const tokens = sqlTokens(sql);
    const explained = explainedStatement(sql, tokens);
    const statement = explained ?? sql;
    const tree = await this.parser.parseTree(statement);
    const found = tree
      ? fromParseTree(tree, catalogs)
      : fromTokens(explained === undefined ? tokens : sqlTokens(statement), catalogs);
    return {
      catalogs: [...found.catalogs],
      listings: [...found.listings],
      explain: explained !== undefined,
      method: tree ? 'parser' : 'tokens',
    };
  }
}

/** The statement after `EXPLAIN [ANALYZE] [(options)]`, or undefined when the text is no EXPLAIN. */
function explainedStatement(sql: string, tokens: readonly SqlToken[]): string | undefined {
  if (tokens[0]?.text !== 'explain' || tokens[0].kind !== 'word') return undefined;
  let i = 1;
  if (tokens[i]?.text === 'analyze') i++;
  if (tokens[i]?.text === '(') {
    let depth = 0;
    for (; i < tokens.length; i++) {
      if (tokens[i]?.text === '(') depth++;
      if (tokens[i]?.text === ')' && --depth === 0) {
        i++;
        break;
      }
    }
  }
  const next = tokens[i];
  return next ? sql.slice(next.at) : '';
}

function fromParseTree(tree: ParsedStatements, served: Set<string>) {
  const catalogs = new Set<string>();
  const listings = new Set<string>();
  const mention = (...names: unknown[]) => {
    for (const name of names.map(text)) if (served.has(name)) catalogs.add(name);
  };
  walk(tree.statements, (node) => {
    switch (node.type) {
      case 'BASE_TABLE': {
        const [catalog, schema, table] = [node.catalog_name, node.schema_name, node.table_name].map(text);
        // `a.b` is schema a, or catalog a's default schema when no schema is called a.
        mention(catalog || schema);
        if (!served.has(catalog as string)) {
          if (LISTING_SCHEMAS.has(schema as string)) listings.add(`${schema}.${table}`);
          else if (LISTING_NAME.test(table as string)) listings.add(table as string);
        }
        return;
      }
      case 'TABLE_FUNCTION': {
        const fn = (node.function ?? {}) as AstNode;
        const name = text(fn.function_name);
        if (LISTING_FUNCTION.test(name)) listings.add(`${name}()`);
        return;
      }
      case 'SHOW_REF': {
        mention(text(node.catalog_name) || text(node.schema_name));
        const table = text(node.table_name);
        if (node.query === null && LISTING_SHOWS.has(table))
          listings.add(`SHOW ${table.replaceAll('"', '')}`);
        return;
      }
    }
    // Function calls, scalar or table-valued, may be qualified with a catalog or schema.
    if (node.class === 'FUNCTION') mention(text(node.catalog) || text(node.schema));
  });
  return { catalogs, listings };
}

function fromTokens(tokens: readonly SqlToken[], served: Set<string>) {
  const catalogs = new Set<string>();
  const listings = new Set<string>();
  const first = tokens[0];
  if (first?.kind === 'word' && LISTING_KEYWORDS.has(first.text)) listings.add(first.text.toUpperCase());
  tokens.forEach((token, i) => {
    if (token.kind === 'symbol') return;
    if (served.has(token.text)) catalogs.add(token.text);
    const dotted = tokens[i + 1]?.text === '.';
    const qualified = tokens[i - 1]?.text === '.';
    if (dotted && LISTING_SCHEMAS.has(token.text) && !qualified) listings.add(token.text);
    if (!qualified && LISTING_NAME.test(token.text) && !dotted) listings.add(token.text);
  });
  return { catalogs, listings };
}
