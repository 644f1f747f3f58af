import { afterAll, describe, expect, it } from 'vitest';
import { DuckDBParser } from './duckdb-parser.ts';
import { calledFunctions, sqlTokens } from './sql-tokens.ts';
import { StatementAnalyzer } from './statement-analyzer.ts';

const parser = new DuckDBParser();
const analyzer = new StatementAnalyzer(parser);
const served = ['duckdb', 'postgres'];
const analyze = (sql: string) => analyzer.analyze(sql, served);

afterAll(() => parser.close());

describe(StatementAnalyzer.name, () => {
  describe('catalogs', () => {
    it.each([
      ['select * from postgres.public.t', ['postgres']],
      ['select * from "POSTGRES"."public"."t"', ['postgres']],
      ['select * from postgres.t', ['postgres']],
      ['from postgres.public.t', ['postgres']],
      ['with c as (select * from postgres.public.t) select * from c', ['postgres']],
      ['select (select max(i) from postgres.public.t) as m', ['postgres']],
      ['select * from duckdb.main.a where i in (select i from postgres.public.t)', ['duckdb', 'postgres']],
      ['select i from duckdb.main.a union all select i from postgres.public.t', ['duckdb', 'postgres']],
      ['select * from duckdb.main.a join postgres.public.t using (i)', ['duckdb', 'postgres']],
      ['select * from duckdb.main.a, lateral (select * from postgres.public.t) x', ['duckdb', 'postgres']],
      ['describe postgres.public.t', ['postgres']],
      ['show tables from postgres', ['postgres']],
      ['select postgres.main.f(1)', ['postgres']],
      ['explain select * from postgres.public.t', ['postgres']],
    ])('finds the catalogs of %s', async (sql, catalogs) => {
      expect((await analyze(sql)).catalogs).toEqual(catalogs);
    });

    it.each([
      "select 'postgres.public.t' as text",
      'select 1 -- from postgres.public.t',
      'select /* postgres.public.t */ 1',
      'select $$postgres.x$$ as text',
      'select 1 as postgres',
      'with postgres as (select 1 as i) select i from postgres',
      'select * from t',
    ])('names no catalog in %s', async (sql) => {
      expect((await analyze(sql)).catalogs).toEqual([]);
    });

    it('reads statements the parser cannot serialize from their tokens, literals and comments excluded', async () => {
      const ctas = await analyze("create table duckdb.main.x as select 'postgres.t' as s -- postgres.t");
      expect(ctas).toMatchObject({ catalogs: ['duckdb'], method: 'tokens' });
      expect((await analyze('insert into t select * from "postgres".public.t')).catalogs).toEqual([
        'postgres',
      ]);
      expect((await analyze("attach 'dbname=x' as other (type postgres)")).catalogs).toEqual(['postgres']);
      expect((await analyze('use postgres')).catalogs).toEqual(['postgres']);
    });

    it('analyses the statement EXPLAIN explains', async () => {
      const explained = await analyze('EXPLAIN ANALYZE select * from postgres.public.t');
      expect(explained).toMatchObject({ catalogs: ['postgres'], explain: true, method: 'parser' });
      expect((await analyze("select 'explain'")).explain).toBe(false);
    });
  });

  describe('listings', () => {
    it.each([
      ['select * from information_schema.tables', 'information_schema.tables'],
      ['select * from duckdb_tables()', 'duckdb_tables()'],
      ['select * from duckdb_columns()', 'duckdb_columns()'],
      ['select * from duckdb_tables', 'duckdb_tables'],
      ['select * from pg_catalog.pg_class', 'pg_catalog.pg_class'],
      ["select * from pragma_table_info('postgres.public.t')", 'pragma_table_info()'],
      ['show all tables', 'SHOW __show_tables_expanded'],
      ['show databases', 'SHOW databases'],
      ['with x as (select * from duckdb_databases()) select * from x', 'duckdb_databases()'],
      ['pragma show_tables', 'PRAGMA'],
    ])('flags %s', async (sql, listing) => {
      expect((await analyze(sql)).listings).toEqual([listing]);
    });

    it("leaves a served catalog's own information schema alone", async () => {
      expect((await analyze('select * from postgres.information_schema.tables')).listings).toEqual([]);
      expect((await analyze('show tables')).listings).toEqual([]);
    });
  });
});

describe(sqlTokens.name, () => {
  it('drops literals and comments and lowercases identifiers', () => {
    const tokens = sqlTokens(`select "A""b", E'it\\'s', 'x''y' /* a /* nested */ c */ from T -- tail`);
    expect(tokens.map((t) => t.text)).toEqual(['select', 'a"b', ',', ',', 'from', 't']);
  });

  it('finds called functions, not ones named in strings', () => {
    expect(calledFunctions(sqlTokens("select query('x'), 'postgres_scan(' from read_csv ('f')"))).toEqual([
      'query',
      'read_csv',
    ]);
  });
});

describe(DuckDBParser.name, () => {
  it('keeps recent parse trees by text and lets the oldest go beyond its size', async () => {
    const small = new DuckDBParser(2);
    try {
      const first = await small.parseTree('select 1');
      expect(first?.statements).toHaveLength(1);
      expect(await small.parseTree('select 1')).toBe(first);
      await small.parseTree('select 2');
      await small.parseTree('select 3');
      const again = await small.parseTree('select 1');
      expect(again).not.toBe(first);
      expect(again).toEqual(first);
    } finally {
      await small.close();
    }
  });
});
