/** A lexical token of a SQL text; string literals and comments are dropped, never tokens. */
export interface SqlToken {
  kind: 'word' | 'quoted' | 'symbol';
  /** Words and quoted identifiers lowercased (DuckDB matches identifiers case-insensitively); symbols as written. */
  text: string;
  /** Offset of the token in the statement text. */
  at: number;
}

/**
 * Splits SQL into words, quoted identifiers and symbols, skipping string literals (`'…'`,
 * `E'…'`, `$tag$…$tag$`), line and block comments and whitespace. It is the conservative
 * fallback for statements the parser cannot serialize: whatever it reports as a name is one a
 * statement could be using, and nothing inside a literal or a comment is reported.
 */
export function sqlTokens(sql: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const ch = sql[i] as string;
    const next = sql[i + 1];
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
    } else if (ch === '/' && next === '*') {
      // DuckDB block comments nest.
      let depth = 0;
      while (i < n) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          depth--;
          i += 2;
          if (depth === 0) break;
        } else i++;
      }
    } else if (ch === "'") {
      i = skipQuoted(sql, i, "'");
    } else if (ch === '"') {
      const end = skipQuoted(sql, i, '"');
      tokens.push({
        kind: 'quoted',
        text: sql
          .slice(i + 1, end - 1)
          .replaceAll('""', '"')
          .toLowerCase(),
        at: i,
      });
      i = end;
    } else if (ch === '$' && /[A-Za-z_$]/.test(next ?? '')) {
      const tag = /^\$([A-Za-z_]\w*)?\$/.exec(sql.slice(i));
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        i = close < 0 ? n : close + tag[0].length;
      } else {
        tokens.push({ kind: 'symbol', text: ch, at: i });
        i++;
      }
    } else if (/[A-Za-z_\u0080-\uffff]/.test(ch)) {
      const word = /^[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*/.exec(sql.slice(i))?.[0] as string;
      // E'…' and X'…' are prefixed string literals, not words.
      if (word.length === 1 && sql[i + 1] === "'" && /[eEbBxX]/.test(word)) {
        i = skipQuoted(sql, i + 1, "'");
      } else {
        tokens.push({ kind: 'word', text: word.toLowerCase(), at: i });
        i += word.length;
      }
    } else if (/[0-9]/.test(ch)) {
      i += /^[0-9][\w.]*/.exec(sql.slice(i))?.[0].length ?? 1;
    } else {
      tokens.push({ kind: 'symbol', text: ch, at: i });
      i++;
    }
  }
  return tokens;
}

function skipQuoted(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else if (quote === "'" && sql[i] === '\\' && sql[start - 1]?.toLowerCase() === 'e') i += 2;
    else i++;
  }
  return sql.length;
}

/** Names followed by `(`: the functions a statement calls, by token. */
export function calledFunctions(tokens: readonly SqlToken[]): string[] {
  const names: string[] = [];
  tokens.forEach((token, i) => {
    if (token.kind !== 'symbol' && tokens[i + 1]?.text === '(') names.push(token.text);
  });
  return names;
}
