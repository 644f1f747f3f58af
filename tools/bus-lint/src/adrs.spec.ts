import { describe, expect, it } from 'vitest';
import { frontMatterStatus, supersededBy } from './adrs.ts';

const adr = (status: string | undefined) => ({ number: '0002', file: 'adr/0002-x.md', status });

describe('frontMatterStatus', () => {
  it('reads the status from the front matter', () => {
    expect(frontMatterStatus('---\nstatus: accepted\ndate: 2026-11-23\n---\n\n# 0003. Title\n')).toBe(
      'accepted',
    );
  });

  it('reads it through the blank lines and comments a formatter leaves in the block', () => {
    const template = '---\n\n# proposed: under discussion\n\nstatus: proposed\n\n## deciders: maintainers\n';
    expect(frontMatterStatus(template)).toBe('proposed');
  });

  it('ignores a status line in the body, after the front matter closed', () => {
    expect(frontMatterStatus('---\ndate: 2026-11-23\n---\n\nstatus: accepted\n')).toBeUndefined();
  });

  it('finds nothing without front matter', () => {
    expect(frontMatterStatus('# 0009. No front matter\n\nstatus: accepted\n')).toBeUndefined();
  });
});

describe('supersededBy', () => {
  it('names the successor of a superseded ADR', () => {
    expect(supersededBy(adr('superseded by 0012'))).toBe('0012');
  });

  it('still flags a superseded ADR that does not name its successor', () => {
    expect(supersededBy(adr('Superseded'))).toBe('?');
  });

  it('is undefined for an ADR in force', () => {
    expect(supersededBy(adr('accepted'))).toBeUndefined();
    expect(supersededBy(adr(undefined))).toBeUndefined();
  });
});
