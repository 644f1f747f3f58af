/**
 * Naming rules shared by the registry, provisioning, the bus libraries and bus-lint. A service's
 * domain token is its name without `-service`; topics, subjects, streams and durable consumers it
 * owns start with it, so broker ACLs and NATS permissions can be granted by prefix.
 */
export function domainOf(service: string): string {
  return service.replace(/-service$/, '');
}

/** Kafka consumer groups are `<service>.<purpose>`; the group ACL is prefixed by `<service>.`. */
export function groupPrefix(service: string): string {
  return `${service}.`;
}

/** The dead-letter topic of one consumer group: `<domain>.dlq.<purpose>`. */
export function deadLetterTopicName(service: string, group: string): string {
  const purpose = group.startsWith(groupPrefix(service)) ? group.slice(groupPrefix(service).length) : group;
  return `${domainOf(service)}.dlq.${purpose}`;
}

/** JetStream stream names are the owner's domain in upper case, `_` for `-`, plus an optional suffix. */
export function streamPrefix(service: string): string {
  return domainOf(service).toUpperCase().replaceAll('-', '_');
}

const TOKEN = /^[A-Za-z0-9_-]+$/;
const PLACEHOLDER = /^\{([a-z][A-Za-z0-9]*)\}$/;

export type SubjectTokens<P extends string> = P extends `${string}{${infer T}}${infer Rest}`
  ? T | SubjectTokens<Rest>
  : never;

/** The NATS wildcard pattern of a subject template: each `{token}` becomes `*`. */
export function subjectWildcard(template: string): string {
  return template
    .split('.')
    .map((part) => (PLACEHOLDER.test(part) ? '*' : part))
    .join('.');
}

/** The placeholder names of a subject template, in order. */
export function subjectPlaceholders(template: string): string[] {
  return template.split('.').flatMap((part) => {
    const match = PLACEHOLDER.exec(part);
    return match?.[1] ? [match[1]] : [];
  });
}

/** Checks a subject template: dot-separated tokens, `{name}` placeholders, an optional final `>`. */
export function subjectTemplateProblem(template: string): string | undefined {
  const parts = template.split('.');
  for (const [i, part] of parts.entries()) {
    if (part === '>' && i === parts.length - 1) continue;
    if (PLACEHOLDER.test(part) || TOKEN.test(part)) continue;
    return `"${part}" is not a subject token (letters, digits, _ and -), a {placeholder} or a final >`;
  }
  return undefined;
}

/** A template's tokens: literal text, or the name of a placeholder. */
type SubjectPiece = string | { readonly placeholder: string };

/** Templates already taken apart: a live forwarder fills one for every event it publishes. */
const templatePieces = new Map<string, readonly SubjectPiece[]>();
const MAX_TEMPLATES = 1_000;

function piecesOf(template: string): readonly SubjectPiece[] {
  let pieces = templatePieces.get(template);
  if (pieces === undefined) {
    pieces = template.split('.').map((part) => {
      const name = PLACEHOLDER.exec(part)?.[1];
      return name ? { placeholder: name } : part;
    });
    if (templatePieces.size >= MAX_TEMPLATES) templatePieces.clear();
    templatePieces.set(template, pieces);
  }
  return pieces;
}

/** Fills a subject template. Each value must be one NATS token: no dots, spaces or wildcards. */
export function fillSubject(template: string, tokens: Record<string, string>): string {
  let subject = '';
  const pieces = piecesOf(template);
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i] as SubjectPiece;
    let part: string;
    if (typeof piece === 'string') {
      part = piece;
    } else {
      const value = tokens[piece.placeholder];
      if (value === undefined)
        throw new SubjectError(`subject ${template}: no value for {${piece.placeholder}}`);
      if (!TOKEN.test(value)) {
        throw new SubjectError(
          `subject ${template}: {${piece.placeholder}} = ${JSON.stringify(value)} is not a single subject token (letters, digits, _ and - only)`,
        );
      }
      part = value;
    }
    subject = i === 0 ? part : `${subject}.${part}`;
  }
  return subject;
}

/** Does a concrete subject (or a narrower pattern) fall under a NATS pattern with `*` and `>`? */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== '*' && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}

export class SubjectError extends Error {
  override name = 'SubjectError';
}
