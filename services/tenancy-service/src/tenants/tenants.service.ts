import { Injectable, Logger } from '@nestjs/common';
import { InjectOutbox, type OutboxRelay } from '@openfoundry/service-kit';
import {
  type CreateTenant,
  type ListTenantsQuery,
  MAX_TENANT_DEPTH,
  slugSchema,
  type UpdateTenant,
} from './dto/tenant.dto.ts';
import { type EffectiveSettings, mergePatch, resolveEffectiveSettings } from './settings.ts';
import type { Tenant, TenantPage } from './tenant.ts';
import { tenantEvents } from './tenant-events.ts';
import {
  InvalidCursorError,
  ParentNotFoundError,
  TenantCycleError,
  TenantHasChildrenError,
  TenantNotFoundError,
  TenantTooDeepError,
} from './tenants.errors.ts';
import { TenantsRepository } from './tenants.repository.ts';

export function encodeCursor(slug: string): string {
  return Buffer.from(slug, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const slug = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!slugSchema.safeParse(slug).success) throw new InvalidCursorError();
  return slug;
}

@Injectable()
export class TenantsService {
  private readonly logger = new Logger(TenantsService.name);

  constructor(
    private readonly repository: TenantsRepository,
    @InjectOutbox() private readonly outbox: OutboxRelay | null,
  ) {}

  /** Every change commits with its bus messages in the outbox; the relay sends them right after. */
  private afterCommit<T>(result: T): T {
    this.outbox?.poke();
    return result;
  }

  async create(input: CreateTenant): Promise<Tenant> {
    const parentId = input.parentId ?? null;
    const newTenant = { slug: input.slug, name: input.name, parentId, settings: input.settings ?? {} };
    const tenant = await this.repository.transaction(async (repository) => {
      if (parentId !== null) {
        await repository.lockHierarchy();
        const parent = await repository.findById(parentId);
        if (!parent) throw new ParentNotFoundError(parentId);
        const depth = (await repository.ancestors(parentId)).length + 2;
        if (depth > MAX_TENANT_DEPTH) throw new TenantTooDeepError(depth);
      }
      const created = await repository.insert(newTenant);
      await repository.publish(tenantEvents(created, 'created'));
      return created;
    });
    return this.afterCommit(this.logCreated(tenant));
  }

  private logCreated(tenant: Tenant): Tenant {
    this.logger.log({
      msg: 'tenant created',
      tenantId: tenant.id,
      slug: tenant.slug,
      parentId: tenant.parentId,
    });
    return tenant;
  }

  async get(id: string): Promise<Tenant> {
    const tenant = await this.repository.findById(id);
    if (!tenant) throw new TenantNotFoundError(id);
    return tenant;
  }

  async getBySlug(slug: string): Promise<Tenant> {
    const tenant = await this.repository.findBySlug(slug);
    if (!tenant) throw new TenantNotFoundError(`"${slug}"`);
    return tenant;
  }

  async list(query: ListTenantsQuery): Promise<TenantPage> {
    const afterSlug = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    // One extra row tells whether another page exists without a count query.
    const rows = await this.repository.list({ limit: query.limit + 1, afterSlug, parentId: query.parentId });
    const items = rows.slice(0, query.limit);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > query.limit && last ? encodeCursor(last.slug) : null };
  }

  async children(id: string, query: Omit<ListTenantsQuery, 'parentId'>): Promise<TenantPage> {
    await this.get(id);
    return this.list({ ...query, parentId: id });
  }

  /** Nearest first: parent, grandparent, …, root. */
  async ancestors(id: string): Promise<Tenant[]> {
    await this.get(id);
    return this.repository.ancestors(id);
  }

  async effectiveSettings(id: string): Promise<EffectiveSettings> {
    const tenant = await this.get(id);
    const ancestors = await this.repository.ancestors(id);
    return resolveEffectiveSettings([...ancestors.reverse(), tenant]);
  }

  async update(id: string, changes: UpdateTenant): Promise<Tenant> {
    const moving = changes.parentId !== undefined;
    const updated = await this.repository.transaction(async (repository) => {
      if (moving) await repository.lockHierarchy();
      const current = await repository.lockById(id);
      if (!current) throw new TenantNotFoundError(id);
      if (moving && changes.parentId !== current.parentId) {
        await this.checkMove(repository, id, changes.parentId ?? null);
      }
      const settings =
        changes.settings === undefined
          ? undefined
          : changes.settingsMode === 'replace'
            ? changes.settings
            : mergePatch(current.settings, changes.settings);
      const result = await repository.update(id, {
        ...(changes.name === undefined ? {} : { name: changes.name }),
        ...(moving ? { parentId: changes.parentId ?? null } : {}),
        ...(settings === undefined ? {} : { settings }),
      });
      if (!result) throw new TenantNotFoundError(id);
      await repository.publish(tenantEvents(result, 'updated'));
      return result;
    });
    if (moving) this.logger.log({ msg: 'tenant moved', tenantId: id, parentId: updated.parentId });
    return this.afterCommit(updated);
  }

  /** Rejects a move that would create a cycle or exceed the maximum depth. Caller holds the hierarchy lock. */
  private async checkMove(repository: TenantsRepository, id: string, parentId: string | null): Promise<void> {
    if (parentId === null) return;
    if (parentId === id) throw new TenantCycleError(id, parentId);
    const parent = await repository.findById(parentId);
    if (!parent) throw new ParentNotFoundError(parentId);
    const parentAncestors = await repository.ancestors(parentId);
    if (parentAncestors.some((ancestor) => ancestor.id === id)) throw new TenantCycleError(id, parentId);
    const depth = parentAncestors.length + 1 + (await repository.subtreeHeight(id));
    if (depth > MAX_TENANT_DEPTH) throw new TenantTooDeepError(depth);
  }

  async delete(id: string, options: { cascade: boolean }): Promise<void> {
    const deleted = await this.repository.transaction(async (repository) => {
      await repository.lockHierarchy();
      const tenant = await repository.lockById(id);
      if (!tenant) throw new TenantNotFoundError(id);
      let removed: Tenant[];
      if (options.cascade) removed = await repository.deleteSubtree(id);
      else {
        if (await repository.hasChildren(id)) throw new TenantHasChildrenError(id);
        await repository.delete(id);
        removed = [tenant];
      }
      const at = new Date();
      await repository.publish(removed.flatMap((t) => tenantEvents(t, 'deleted', at)));
      return removed.length;
    });
    this.afterCommit(undefined);
    this.logger.log({ msg: 'tenant deleted', tenantId: id, deleted });
  }
}
