import { AsyncLocalStorage } from 'node:async_hooks';
import { parseLosslessJson } from '@openfoundry/lakehouse';

interface Expected {
  /** The snapshot main must still point at for the commit to go out (null: an empty table). */
  parent: bigint | null;
}

/**
 * Pins a commit to the snapshot its rows were filtered against. `IcebergWriter.append` loads the
 * table again before it commits and would plan on a newer main without telling; rows deduplicated
 * against the older one could then be written twice. The guard sits in the catalog client's fetch:
 * a commit planned on any other parent is answered 409 here, without reaching the catalog, and
 * the sink reloads, filters again and retries.
 */
export class ParentGuard {
  private readonly expected = new AsyncLocalStorage<Expected>();

  constructor(private readonly base: typeof fetch = globalThis.fetch) {}

  /** Runs `commit` with every catalog commit it makes required to sit on `parent`. */
  run<T>(parent: bigint | null, commit: () => Promise<T>): Promise<T> {
    return this.expected.run({ parent }, commit);
  }

  readonly fetch: typeof fetch = async (input, init) => {
    const expected = this.expected.getStore();
    if (expected && init?.method === 'POST' && typeof init.body === 'string') {
      const planned = plannedParent(init.body);
      if (planned !== undefined && planned !== expected.parent)
        return new Response(
          JSON.stringify({
            error: {
              message: 'main moved since the rows were deduplicated',
              type: 'CommitFailedException',
              code: 409,
            },
          }),
          { status: 409, headers: { 'content-type': 'application/json' } },
        );
    }
    return this.base(input, init);
  };
}

/** The main-branch parent a commit request requires; undefined when the body is not such a commit. */
export function plannedParent(body: string): bigint | null | undefined {
  if (!body.includes('"requirements"')) return undefined;
  let parsed: { requirements?: { type?: string; ref?: string; 'snapshot-id'?: unknown }[] };
  try {
    parsed = parseLosslessJson(body) as typeof parsed;
  } catch {
    return undefined;
  }
  const requirement = parsed.requirements?.find(
    (r) => r.type === 'assert-ref-snapshot-id' && r.ref === 'main',
  );
  if (!requirement) return undefined;
  const id = requirement['snapshot-id'];
  return id === null || id === undefined ? null : BigInt(id as bigint | number | string);
}
