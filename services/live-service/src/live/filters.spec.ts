import { describe, expect, it } from 'vitest';
import { LiveErrorCode } from '../live.errors.ts';
import { filtersFromQuery, matches, parseFilter } from './filters.ts';

const code = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return (error as { code?: string; httpStatus?: number }).code;
  }
  return undefined;
};

describe('filtersFromQuery', () => {
  it('reads no filter as the whole tenant', () => {
    expect(filtersFromQuery({}, 10)).toEqual([{ asset: '*', attribute: '*' }]);
  });

  it('reads asset and attribute as one filter, a missing part meaning *', () => {
    expect(filtersFromQuery({ asset: 'pump-1' }, 10)).toEqual([{ asset: 'pump-1', attribute: '*' }]);
    expect(filtersFromQuery({ attribute: 'temp' }, 10)).toEqual([{ asset: '*', attribute: 'temp' }]);
  });

  it('reads filter=<asset>.<attribute>, repeated and comma-separated, dropping repeats', () => {
    expect(filtersFromQuery({ filter: ['a.x', 'b.*,a.x', '*.y'] }, 10)).toEqual([
      { asset: 'a', attribute: 'x' },
      { asset: 'b', attribute: '*' },
      { asset: '*', attribute: 'y' },
    ]);
  });

  it('rejects ids that are not subject tokens with 400 LIVE_INVALID_FILTER', () => {
    for (const query of [
      { asset: 'a.b' },
      { asset: '>' },
      { attribute: 'tem p' },
      { asset: 'x'.repeat(129) },
      { filter: 'a' },
      { filter: 'a.b.c' },
      { filter: 'a.>' },
      { asset: '-leading-dash' },
    ])
      expect(
        code(() => filtersFromQuery(query, 10)),
        JSON.stringify(query),
      ).toBe(LiveErrorCode.INVALID_FILTER);
  });

  it('rejects a repeated asset parameter instead of guessing', () => {
    expect(code(() => filtersFromQuery({ asset: ['a', 'b'] }, 10))).toBe(LiveErrorCode.INVALID_FILTER);
  });

  it('rejects more filters than the limit', () => {
    expect(code(() => filtersFromQuery({ filter: 'a.*,b.*,c.*' }, 2))).toBe(LiveErrorCode.TOO_MANY_FILTERS);
  });
});

describe('parseFilter', () => {
  it('rejects non-objects, wrong types and unknown fields', () => {
    for (const value of [null, 'a.b', ['a'], { asset: 5 }, { asset: 'a', tenant: 'globex' }])
      expect(
        code(() => parseFilter(value)),
        JSON.stringify(value),
      ).toBe(LiveErrorCode.INVALID_FILTER);
  });
});

describe('matches', () => {
  it('matches wildcards and exact ids only', () => {
    expect(matches({ asset: '*', attribute: '*' }, 'a', 'x')).toBe(true);
    expect(matches({ asset: 'a', attribute: '*' }, 'a', 'x')).toBe(true);
    expect(matches({ asset: 'a', attribute: 'y' }, 'a', 'x')).toBe(false);
    expect(matches({ asset: 'b', attribute: '*' }, 'a', 'x')).toBe(false);
  });
});
