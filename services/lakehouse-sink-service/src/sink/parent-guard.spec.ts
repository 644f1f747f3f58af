import { describe, expect, it } from 'vitest';
import { ParentGuard, plannedParent } from './parent-guard.ts';

const commitBody = (parent: string) =>
  `{"identifier":{"namespace":["acme","telemetry"],"name":"t"},"requirements":[{"type":"assert-table-uuid","uuid":"u"},{"type":"assert-ref-snapshot-id","ref":"main","snapshot-id":${parent}}],"updates":[]}`;

describe(ParentGuard.name, () => {
  it('reads the parent a commit requires, exactly beyond 2^53', () => {
    expect(plannedParent(commitBody('9007199254740993'))).toBe(9_007_199_254_740_993n);
    expect(plannedParent(commitBody('null'))).toBeNull();
    expect(plannedParent('{"namespace":["acme"]}')).toBeUndefined();
    expect(plannedParent('{"requirements": not json')).toBeUndefined();
  });

  it('answers 409 to a commit planned on another parent, and passes the rest through', async () => {
    const sent: string[] = [];
    const guard = new ParentGuard(async (_input, init) => {
      sent.push(String(init?.body ?? ''));
      return new Response('{}', { status: 200 });
    });
    const refused = await guard.run(7n, () =>
      guard.fetch('http://c/t', { method: 'POST', body: commitBody('8') }),
    );
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ error: { type: 'CommitFailedException', code: 409 } });
    const passed = await guard.run(7n, () =>
      guard.fetch('http://c/t', { method: 'POST', body: commitBody('7') }),
    );
    expect(passed.status).toBe(200);
    const empty = await guard.run(null, () =>
      guard.fetch('http://c/t', { method: 'POST', body: commitBody('null') }),
    );
    expect(empty.status).toBe(200);
    // Outside run() nothing is pinned.
    expect((await guard.fetch('http://c/t', { method: 'POST', body: commitBody('8') })).status).toBe(200);
    expect(sent).toHaveLength(3);
  });
});
