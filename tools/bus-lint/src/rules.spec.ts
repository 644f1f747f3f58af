import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { docPath, isKnownSelector, RULES, ruleOf, selects } from './rules.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('rule documentation', () => {
  it.each(RULES.map((r) => [r.id, r] as const))(
    '%s has a page with a bad and a good example and its ADRs',
    (id, rule) => {
      const page = join(repoRoot, docPath(id));
      const text = readFileSync(page, 'utf8');
      expect(text).toMatch(/^## Bad$/m);
      expect(text).toMatch(/^## Good$/m);
      expect(text).toContain(rule.severity);
      for (const adr of rule.adrs) {
        const link = new RegExp(`\\]\\((\\.\\./)+adr/(${adr}-[a-z0-9-]+\\.md)\\)`).exec(text);
        expect(link, `${id} links ADR ${adr}`).not.toBeNull();
        expect(existsSync(join(repoRoot, 'adr', link?.[2] ?? '')), `adr/${link?.[2]} exists`).toBe(true);
      }
    },
  );

  it('is listed in the README, one row per rule', () => {
    const readme = readFileSync(join(repoRoot, 'tools/bus-lint/README.md'), 'utf8');
    for (const rule of RULES) expect(readme).toContain(`(docs/rules/${rule.doc})`);
  });
});

describe('selectors', () => {
  it('maps every registry code to the one registry rule', () => {
    expect(ruleOf('registry/unknown-owner').id).toBe('registry');
    expect(docPath('registry/bad-limit')).toBe('tools/bus-lint/docs/rules/registry.md');
  });

  it('selects all registry codes with "registry" and one with its full id', () => {
    expect(selects('registry', 'registry/bad-name')).toBe(true);
    expect(selects('registry/*', 'registry/bad-name')).toBe(true);
    expect(selects('registry/bad-name', 'registry/bad-limit')).toBe(false);
    expect(selects('registry', 'wrong-bus')).toBe(false);
  });

  it('knows the rule ids and nothing else', () => {
    expect(isKnownSelector('bus/unresolved-name')).toBe(true);
    expect(isKnownSelector('registry/anything')).toBe(true);
    expect(isKnownSelector('unresolved-name')).toBe(false);
  });
});
