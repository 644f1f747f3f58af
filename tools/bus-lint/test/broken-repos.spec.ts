import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lint } from '../src/index.ts';
import { copyFixture } from './repos.ts';

const brief = (f: { file: string; line: number; rule: string; message: string }) =>
  `${f.file}:${f.line} ${f.rule} ${f.message}`;

describe('lint on a broken copy of the clean fixture', () => {
  it('reports a service.json that is not JSON at the line of the error', async () => {
    using repo = copyFixture('clean');
    writeFileSync(
      join(repo.root, 'services/shipping-service/service.json'),
      '{\n  "name": "shipping-service",\n  "plane": "control"\n  "adr": "0005"\n}\n',
    );
    const result = await lint({ root: repo.root });
    expect(result.findings.map(brief)).toEqual([
      `services/shipping-service/service.json:4 manifest service.json is not valid JSON: Expected ',' or '}' after property value`,
    ]);
  });

  it('reports each bad manifest field on its own line', async () => {
    using repo = copyFixture('clean');
    writeFileSync(
      join(repo.root, 'services/shipping-service/service.json'),
      `${JSON.stringify({ name: 'Shipping', plane: 'logistics', adr: '5', port: 0, database: 'Ship-DB', description: '' }, null, 2)}\n`,
    );
    const result = await lint({ root: repo.root, rules: ['manifest'] });
    expect(result.findings.map((f) => `${f.line} ${f.message}`)).toEqual([
      '2 name "Shipping" must be lowercase kebab-case',
      '3 plane "logistics" is not one of control, ingestion, storage, compute, relational-state',
      '4 adr "5" must be a four-digit ADR number such as "0005"',
      '5 port 0 must be an integer from 1 to 65535',
      '6 database "Ship-DB" must be a lowercase Postgres identifier or null',
      '7 has no "description": one sentence on what the service is for',
    ]);
  });

  it('warns when a bus library cannot be resolved, because its calls would go unchecked', async () => {
    using repo = copyFixture('clean');
    rmSync(join(repo.root, 'libs/event-bus-data'), { recursive: true });
    const result = await lint({ root: repo.root });
    expect(result.findings.map(brief)).toEqual([
      'services/billing-service/src/invoices.ts:3 bus/unresolved-name cannot resolve @openfoundry/event-bus-data, so none of its calls in this file can be checked',
      'services/shipping-service/src/shipments.ts:4 bus/unresolved-name cannot resolve @openfoundry/event-bus-data, so none of its calls in this file can be checked',
    ]);
  });

  it('warns when the service kit cannot be resolved, because outbox entries would go unchecked', async () => {
    using repo = copyFixture('clean');
    rmSync(join(repo.root, 'libs/service-kit'), { recursive: true });
    const result = await lint({ root: repo.root });
    expect(result.findings.map(brief)).toEqual([
      'services/billing-service/src/outbox.ts:3 bus/unresolved-name cannot resolve @openfoundry/service-kit, so none of the outbox entries in this file can be checked',
      'services/shipping-service/src/outbox.ts:3 bus/unresolved-name cannot resolve @openfoundry/service-kit, so none of the outbox entries in this file can be checked',
    ]);
  });

  it("checks outbox entries wherever their type is declared or asserted, and only the service kit's", async () => {
    using repo = copyFixture('clean');
    writeFileSync(
      join(repo.root, 'services/shipping-service/src/relay.ts'),
      [
        "import { topics } from '@fixture/bus';",
        "import type { OutboxRecord } from '@openfoundry/service-kit';",
        '',
        'const value = { id: "1", total: 0 };',
        'export const made = (): OutboxRecord<typeof value> => ({ topic: topics.invoices, key: "1", value });',
        'export function cast<E extends OutboxRecord<typeof value>>() {',
        '  return { topic: topics.invoices, key: "1", value } as E;',
        '}',
        'export const satisfied = { topic: topics.invoices, key: "1", value } satisfies OutboxRecord<typeof value>;',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(repo.root, 'services/shipping-service/src/lookalike.ts'),
      [
        "interface OutboxRecord { topic: { name: 'billing.nowhere.v1' } }",
        "export const record: OutboxRecord = { topic: { name: 'billing.nowhere.v1' } };",
        '',
      ].join('\n'),
    );
    const result = await lint({ root: repo.root });
    expect(result.findings.map(brief)).toEqual([
      'services/shipping-service/src/relay.ts:5 not-owner shipping-service publishes billing.invoices.v1 through its outbox, which billing-service owns',
      'services/shipping-service/src/relay.ts:7 not-owner shipping-service publishes billing.invoices.v1 through its outbox, which billing-service owns',
      'services/shipping-service/src/relay.ts:9 not-owner shipping-service publishes billing.invoices.v1 through its outbox, which billing-service owns',
    ]);
  });

  it('recognises the bus classes by where they are declared, not by their name', async () => {
    using repo = copyFixture('clean');
    writeFileSync(
      join(repo.root, 'services/shipping-service/src/lookalike.ts'),
      [
        'class DataBus {',
        '  publisher(_topic: string, _options: object) {}',
        '}',
        "export const sent = new DataBus().publisher('billing.nowhere.v1', {});",
        '',
      ].join('\n'),
    );
    const result = await lint({ root: repo.root });
    expect(result.findings).toEqual([]);
  });
});
