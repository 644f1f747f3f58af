import { describe, expect, it } from 'vitest';
import { maxOffsets, offsetKey, offsetProperties, offsetsJson, summaryOffsets } from './offsets.ts';

const TOPIC = 'connector.asset-events.v1';

describe('snapshot summary offsets', () => {
  it('uses the ADR 0003 key form and reads back what it writes', () => {
    expect(offsetKey(TOPIC, 3)).toBe('openfoundry.kafka.connector.asset-events.v1.3');
    const offsets = new Map([
      [0, 12n],
      [5, 9_007_199_254_740_993n],
    ]);
    const summary = { operation: 'append', ...offsetProperties(TOPIC, offsets) };
    expect(summaryOffsets(summary, TOPIC)).toEqual(offsets);
  });

  it('ignores other topics and keys or values that are not offsets', () => {
    expect(
      summaryOffsets(
        {
          'openfoundry.kafka.other.v1.0': '5',
          [`openfoundry.kafka.${TOPIC}.x`]: '5',
          [`openfoundry.kafka.${TOPIC}.1`]: '-3',
          [`openfoundry.kafka.${TOPIC}.2`]: '7',
        },
        TOPIC,
      ),
    ).toEqual(new Map([[2, 7n]]));
    expect(summaryOffsets(undefined, TOPIC)).toEqual(new Map());
  });

  it('merges offsets by keeping the larger per partition', () => {
    expect(
      maxOffsets(
        new Map([
          [0, 5n],
          [1, 9n],
        ]),
        new Map([
          [1, 4n],
          [2, 1n],
        ]),
      ),
    ).toEqual(
      new Map([
        [0, 5n],
        [1, 9n],
        [2, 1n],
      ]),
    );
    expect(
      offsetsJson(
        new Map([
          [3, 1n],
          [0, 2n],
        ]),
      ),
    ).toEqual({ '0': '2', '3': '1' });
  });
});
