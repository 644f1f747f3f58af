import { describe, expect, it } from 'vitest';
import { commandTopic, compileTopic, matchTopic } from './topics.ts';

describe('compileTopic / matchTopic', () => {
  it('turns placeholders into single-level wildcards and captures them', () => {
    const pattern = compileTopic('plant/{asset}/data/{attribute}');
    expect(pattern.filter).toBe('plant/+/data/+');
    expect(matchTopic(pattern, 'plant/press-1/data/temp')).toEqual({ asset: 'press-1', attribute: 'temp' });
    expect(matchTopic(pattern, 'plant/press-1/data')).toBeUndefined();
    expect(matchTopic(pattern, 'plant/press-1/data/temp/extra')).toBeUndefined();
    expect(matchTopic(pattern, 'other/press-1/data/temp')).toBeUndefined();
  });

  it('honours the multi-level wildcard', () => {
    expect(matchTopic(compileTopic('site/#'), 'site/a/b')).toEqual({});
  });
});

describe('commandTopic', () => {
  it('fills the placeholders and appends /set', () => {
    expect(commandTopic('plant/{asset}/{attribute}', 'press-1', 'setpoint')).toBe(
      'plant/press-1/setpoint/set',
    );
    expect(commandTopic('plant/+/{attribute}', 'press-1', 'setpoint')).toBeUndefined();
  });
});
