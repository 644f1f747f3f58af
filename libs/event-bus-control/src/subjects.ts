import {
  BusError,
  BusErrorCode,
  fillSubject,
  SubjectError,
  type SubjectTokens,
  subjectPlaceholders,
} from '@openfoundry/bus-registry';

/** The `{token}` values of a subject template: every one when publishing. */
export type Tokens<P extends string> = string extends P
  ? Readonly<Record<string, string>>
  : Readonly<Record<SubjectTokens<P>, string>>;

/** The tokens argument: required when the template has placeholders, optional otherwise. */
export type TokensInput<P extends string> = [SubjectTokens<P>] extends [never]
  ? { tokens?: Tokens<P> }
  : { tokens: Tokens<P> };

const TOKEN = /^[A-Za-z0-9_-]+$/;

/** The concrete subject to publish on; a missing or malformed token is the caller's payload error. */
export function concreteSubject(template: string, tokens: Readonly<Record<string, string>> = {}): string {
  try {
    return fillSubject(template, tokens);
  } catch (error) {
    if (!(error instanceof SubjectError)) throw error;
    throw new BusError(
      BusErrorCode.InvalidPayload,
      error.message,
      { subject: template, tokens },
      { cause: error },
    );
  }
}

/**
 * The subject to subscribe to: given tokens narrow it, missing ones stay wildcards (`*`), so
 * `{ tenant: 'acme' }` listens to one tenant and `{}` to all of them.
 */
export function subscriptionSubject(
  template: string,
  tokens: Readonly<Partial<Record<string, string>>> = {},
): string {
  const known = new Set(subjectPlaceholders(template));
  const unknown = Object.keys(tokens).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new BusError(
      BusErrorCode.InvalidPayload,
      `subject ${template} has no {${unknown.join('}, {')}}: its placeholders are ${[...known].map((p) => `{${p}}`).join(', ') || 'none'}`,
      { subject: template },
    );
  }
  return template
    .split('.')
    .map((part) => {
      const name = /^\{([a-z][A-Za-z0-9]*)\}$/.exec(part)?.[1];
      if (!name) return part;
      const value = tokens[name];
      if (value === undefined) return '*';
      if (!TOKEN.test(value)) {
        throw new BusError(
          BusErrorCode.InvalidPayload,
          `subject ${template}: {${name}} = ${JSON.stringify(value)} is not a single subject token (letters, digits, _ and - only)`,
          { subject: template },
        );
      }
      return value;
    })
    .join('.');
}
