/** A point's topic filter with `{asset}`/`{attribute}` levels turned into `+` wildcards it captures. */
export interface TopicPattern {
  template: string;
  filter: string;
  levels: string[];
  captures: { asset?: number; attribute?: number };
}

export function compileTopic(template: string): TopicPattern {
  const captures: TopicPattern['captures'] = {};
  const levels = template.split('/').map((level, index) => {
    if (level === '{asset}') {
      captures.asset = index;
      return '+';
    }
    if (level === '{attribute}') {
      captures.attribute = index;
      return '+';
    }
    return level;
  });
  return { template, filter: levels.join('/'), levels, captures };
}

/** Matches a concrete topic against a pattern; the captured asset/attribute levels, or undefined. */
export function matchTopic(
  pattern: TopicPattern,
  topic: string,
): { asset?: string; attribute?: string } | undefined {
  const parts = topic.split('/');
  for (let i = 0; i < pattern.levels.length; i++) {
    const level = pattern.levels[i];
    if (level === '#') return capture(pattern, parts);
    if (i >= parts.length) return undefined;
    if (level !== '+' && level !== parts[i]) return undefined;
  }
  return parts.length === pattern.levels.length ? capture(pattern, parts) : undefined;
}

function capture(pattern: TopicPattern, parts: string[]) {
  const { asset, attribute } = pattern.captures;
  return {
    ...(asset === undefined ? {} : { asset: parts[asset] }),
    ...(attribute === undefined ? {} : { attribute: parts[attribute] }),
  };
}

/**
 * The topic a write command goes to: the point's topic with `{asset}`/`{attribute}` filled in and
 * `/set` appended. Undefined when the point's topic has other wildcards.
 */
export function commandTopic(template: string, asset: string, attribute: string): string | undefined {
  const topic = template.replaceAll('{asset}', asset).replaceAll('{attribute}', attribute);
  if (/[+#]/.test(topic)) return undefined;
  return `${topic}/set`;
}
