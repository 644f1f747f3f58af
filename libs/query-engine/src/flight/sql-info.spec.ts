import { describe, expect, it } from 'vitest';
import { SQL_INFO_SCHEMA, sqlInfoBatch, sqlInfoValues } from './sql-info.ts';

const values = sqlInfoValues('1.2.3', '21.2.0');
const BOOL = 1;
const BIGINT = 2;
const INT32 = 3;
const STRING_LIST = 4;

function memberOf(id: number): number {
  const batch = sqlInfoBatch(values, [id]);
  const union = batch.getChildAt(1);
  return union?.data[0]?.typeIds[0] as number;
}

describe('sqlInfoBatch', () => {
  it('answers exactly the requested ids, in the order asked', () => {
    const batch = sqlInfoBatch(values, [504, 0, 99_999]);
    expect(batch.schema.fields.map((f) => f.name)).toEqual(SQL_INFO_SCHEMA.fields.map((f) => f.name));
    expect(batch.getChildAt(0)?.toArray()).toEqual(new Uint32Array([504, 0]));
    expect(batch.getChildAt(1)?.get(0)).toBe('"');
    expect(batch.getChildAt(1)?.get(1)).toBe('OpenFoundry Flight SQL edge');
  });

  it('answers every id when none are asked', () => {
    expect(sqlInfoBatch(values, []).numRows).toBe(values.size);
  });

  it('puts each id in the union member its type requires', () => {
    expect(memberOf(3)).toBe(BOOL); // FLIGHT_SQL_SERVER_READ_ONLY
    expect(memberOf(8)).toBe(INT32); // FLIGHT_SQL_SERVER_TRANSACTION
    expect(memberOf(503)).toBe(INT32); // SQL_IDENTIFIER_CASE
    expect(memberOf(508)).toBe(STRING_LIST); // SQL_KEYWORDS
    expect(memberOf(526)).toBe(INT32); // SQL_ANSI92_SUPPORTED_LEVEL
    expect(memberOf(541)).toBe(BIGINT); // SQL_MAX_BINARY_LITERAL_LENGTH
    expect(memberOf(556)).toBe(BOOL); // SQL_MAX_ROW_SIZE_INCLUDES_BLOBS
    expect(memberOf(562)).toBe(BIGINT); // SQL_DEFAULT_TRANSACTION_ISOLATION
    expect(memberOf(567)).toBe(INT32); // SQL_SUPPORTED_RESULT_SET_TYPES
    expect(memberOf(576)).toBe(BOOL); // SQL_STORED_FUNCTIONS_USING_CALL_SYNTAX_SUPPORTED
  });

  it('covers every id from 500 to 576', () => {
    for (let id = 500; id <= 576; id++) expect(values.has(id), `SqlInfo ${id}`).toBe(true);
  });
});
