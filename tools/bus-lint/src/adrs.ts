import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Adr {
  readonly number: string;
  /** Relative to the root: `adr/0005-control-plane.md`. */
  readonly file: string;
  /** As written in the front matter: `accepted`, `superseded by 0012`, …; undefined when absent. */
  readonly status: string | undefined;
}

const ADR_FILE = /^(\d{4})-.+\.md$/;

/** Every `adr/NNNN-*.md`, keyed by its number. */
export function readAdrs(root: string): Map<string, Adr> {
  const dir = join(root, 'adr');
  const adrs = new Map<string, Adr>();
  if (!existsSync(dir)) return adrs;
  for (const name of readdirSync(dir).sort()) {
    const number = ADR_FILE.exec(name)?.[1];
    if (!number || adrs.has(number)) continue;
    adrs.set(number, {
      number,
      file: `adr/${name}`,
      status: frontMatterStatus(readFileSync(join(dir, name), 'utf8')),
    });
  }
  return adrs;
}

/**
 * The `status:` line of an ADR's front matter. Formatters have been known to insert blank lines
 * and comments into the block, so it reads every line up to the closing `---` rather than
 * parsing YAML.
 */
export function frontMatterStatus(text: string): string | undefined {
  const lines = text.split(/\r?\n/);
  if (lines[0]?.trim() !== '---') return undefined;
  for (const line of lines.slice(1)) {
    if (line.trim() === '---') break;
    const match = /^status:\s*(.*?)\s*$/.exec(line);
    if (match) return match[1];
  }
  return undefined;
}

/** `superseded by 0012` → `0012`; undefined when the ADR is in force. */
export function supersededBy(adr: Adr): string | undefined {
  const match = /^superseded\b(?:\s+by\s+(\d{4}))?/i.exec(adr.status ?? '');
  if (!match) return undefined;
  return match[1] ?? '?';
}
