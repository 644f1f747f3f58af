import { randomUUID } from 'node:crypto';
import type { OutboxEntry } from '@openfoundry/service-kit';
import type { JsonObject } from '../src/database.ts';
import type { Tenant } from '../src/tenants/tenant.ts';
import type { NewTenant, TenantChanges, TenantsRepository } from '../src/tenants/tenants.repository.ts';

let sequence = 0;

/** A unique, valid slug for test data. */
export function slug(prefix = 'tenant'): string {
  sequence += 1;
  return `${prefix}-${sequence}-${randomUUID().slice(0, 8)}`;
}

export function tenantFactory(overrides: Partial<Tenant> = {}): Tenant {
  const now = new Date();
  return {
    id: randomUUID(),
    slug: slug(),
    name: 'Test tenant',
    parentId: null,
    settings: {},
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

export function createTenantBody(
  overrides: { slug?: string; name?: string; parentId?: string | null; settings?: JsonObject } = {},
) {
  return { slug: slug(), name: 'Test tenant', ...overrides };
}

/** The repository's contract over a Map, for unit tests of TenantsService. */
export class InMemoryTenantsRepository {
  readonly tenants = new Map<string, Tenant>();
  /** What the service queued for the buses, in order. */
  readonly published: OutboxEntry[] = [];

  add(overrides: Partial<Tenant> = {}): Tenant {
    const tenant = tenantFactory(overrides);
    this.tenants.set(tenant.id, tenant);
    return tenant;
  }

  /** A chain root → … → leaf of `length` tenants; returns them root first. */
  chain(length: number): Tenant[] {
    const chain: Tenant[] = [];
    for (let i = 0; i < length; i++) chain.push(this.add({ parentId: chain.at(-1)?.id ?? null }));
    return chain;
  }

  asRepository(): TenantsRepository {
    return this as unknown as TenantsRepository;
  }

  transaction<T>(work: (repository: TenantsRepository) => Promise<T>): Promise<T> {
    return work(this.asRepository());
  }
  async lockHierarchy(): Promise<void> {}
  async lockById(id: string) {
    return this.tenants.get(id);
  }
  async findById(id: string) {
    return this.tenants.get(id);
  }
  async findBySlug(value: string) {
    return [...this.tenants.values()].find((t) => t.slug === value);
  }
  async list(options: { limit: number; afterSlug?: string | undefined; parentId?: string | undefined }) {
    return [...this.tenants.values()]
      .filter((t) => options.parentId === undefined || t.parentId === options.parentId)
      .filter((t) => options.afterSlug === undefined || t.slug > options.afterSlug)
      .sort((a, b) => (a.slug < b.slug ? -1 : 1))
      .slice(0, options.limit);
  }
  async ancestors(id: string) {
    const result: Tenant[] = [];
    let parentId = this.tenants.get(id)?.parentId ?? null;
    while (parentId !== null) {
      const parent = this.tenants.get(parentId);
      if (!parent) break;
      result.push(parent);
      parentId = parent.parentId;
    }
    return result;
  }
  async subtreeHeight(id: string): Promise<number> {
    const children = [...this.tenants.values()].filter((t) => t.parentId === id);
    const heights = await Promise.all(children.map((c) => this.subtreeHeight(c.id)));
    return 1 + Math.max(0, ...heights);
  }
  async hasChildren(id: string) {
    return [...this.tenants.values()].some((t) => t.parentId === id);
  }
  async insert(tenant: NewTenant) {
    return this.add(tenant);
  }
  async update(id: string, changes: TenantChanges) {
    const current = this.tenants.get(id);
    if (!current) return undefined;
    const updated = { ...current, ...changes, updatedAt: new Date() };
    this.tenants.set(id, updated);
    return updated;
  }
  async delete(id: string) {
    this.tenants.delete(id);
  }
  async deleteSubtree(id: string): Promise<Tenant[]> {
    const deleted: Tenant[] = [];
    for (const child of [...this.tenants.values()].filter((t) => t.parentId === id))
      deleted.push(...(await this.deleteSubtree(child.id)));
    const self = this.tenants.get(id);
    this.tenants.delete(id);
    return self ? [...deleted, self] : deleted;
  }
  async insertIfAbsent(tenant: NewTenant) {
    const existing = await this.findBySlug(tenant.slug);
    return existing ? { tenant: existing, created: false } : { tenant: this.add(tenant), created: true };
  }
  async publish(entries: OutboxEntry[]) {
    this.published.push(...entries);
  }
}
