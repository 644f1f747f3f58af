import { beforeEach, describe, expect, it } from 'vitest';
import { InMemoryTenantsRepository } from '../../test/factories.ts';
import { MAX_TENANT_DEPTH } from './dto/tenant.dto.ts';
import {
  ParentNotFoundError,
  TenantCycleError,
  TenantHasChildrenError,
  TenantNotFoundError,
  TenantTooDeepError,
} from './tenants.errors.ts';
import { TenantsService } from './tenants.service.ts';

describe(TenantsService.name, () => {
  let repository: InMemoryTenantsRepository;
  let service: TenantsService;

  beforeEach(() => {
    repository = new InMemoryTenantsRepository();
    service = new TenantsService(repository.asRepository(), null);
  });

  describe('create', () => {
    it('creates a tenant under an existing parent', async () => {
      const parent = repository.add();
      const child = await service.create({ slug: 'child-one', name: 'Child', parentId: parent.id });
      expect(child.parentId).toBe(parent.id);
    });

    it('rejects an unknown parent with 404', async () => {
      await expect(
        service.create({ slug: 'orphan', name: 'Orphan', parentId: '1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b' }),
      ).rejects.toBeInstanceOf(ParentNotFoundError);
    });

    it(`rejects a tenant deeper than ${MAX_TENANT_DEPTH} levels with 409`, async () => {
      const chain = repository.chain(MAX_TENANT_DEPTH);
      await expect(
        service.create({ slug: 'too-deep', name: 'x', parentId: chain.at(-1)?.id }),
      ).rejects.toBeInstanceOf(TenantTooDeepError);
    });
  });

  describe('reparent', () => {
    it('moves a tenant under a sibling', async () => {
      const root = repository.add();
      const a = repository.add({ parentId: root.id });
      const b = repository.add({ parentId: root.id });
      const moved = await service.update(a.id, { parentId: b.id, settingsMode: 'merge' });
      expect(moved.parentId).toBe(b.id);
    });

    it('rejects the tenant as its own parent with a cycle error (409)', async () => {
      const a = repository.add();
      const error = await service.update(a.id, { parentId: a.id, settingsMode: 'merge' }).catch((e) => e);
      expect(error).toBeInstanceOf(TenantCycleError);
      expect(error.httpStatus).toBe(409);
      expect(error.code).toBe('TENANT_CYCLE');
    });

    it('rejects a descendant as the new parent with a cycle error', async () => {
      const [root, , grandchild] = repository.chain(3);
      await expect(
        service.update(root?.id ?? '', { parentId: grandchild?.id ?? null, settingsMode: 'merge' }),
      ).rejects.toBeInstanceOf(TenantCycleError);
    });

    it('makes a tenant a root when parentId is null', async () => {
      const [, child] = repository.chain(2);
      const moved = await service.update(child?.id ?? '', { parentId: null, settingsMode: 'merge' });
      expect(moved.parentId).toBeNull();
    });

    it('rejects a move that makes the subtree too deep', async () => {
      const deep = repository.chain(MAX_TENANT_DEPTH - 1);
      const [subtreeRoot] = repository.chain(2);
      await expect(
        service.update(subtreeRoot?.id ?? '', { parentId: deep.at(-1)?.id ?? null, settingsMode: 'merge' }),
      ).rejects.toBeInstanceOf(TenantTooDeepError);
    });

    it('rejects an unknown tenant with 404', async () => {
      await expect(
        service.update('1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b', { name: 'x', settingsMode: 'merge' }),
      ).rejects.toBeInstanceOf(TenantNotFoundError);
    });
  });

  describe('update settings', () => {
    it('merges settings as a JSON merge patch by default', async () => {
      const t = repository.add({ settings: { a: 1, b: { c: 1 } } });
      const updated = await service.update(t.id, {
        settings: { a: null, b: { d: 2 } },
        settingsMode: 'merge',
      });
      expect(updated.settings).toEqual({ b: { c: 1, d: 2 } });
    });

    it('replaces settings when asked to', async () => {
      const t = repository.add({ settings: { a: 1 } });
      const updated = await service.update(t.id, { settings: { z: 1 }, settingsMode: 'replace' });
      expect(updated.settings).toEqual({ z: 1 });
    });
  });

  describe('effectiveSettings', () => {
    it('resolves settings along the ancestor chain, child over parent', async () => {
      const root = repository.add({ settings: { timezone: 'UTC', units: { t: 'c', p: 'bar' } } });
      const plant = repository.add({ parentId: root.id, settings: { units: { t: 'f' } } });
      const line = repository.add({ parentId: plant.id, settings: { speed: 3 } });
      const effective = await service.effectiveSettings(line.id);
      expect(effective.settings).toEqual({ timezone: 'UTC', units: { t: 'f', p: 'bar' }, speed: 3 });
      expect(effective.sources.units?.tenantId).toBe(plant.id);
      expect(effective.chain.map((t) => t.id)).toEqual([root.id, plant.id, line.id]);
    });
  });

  describe('delete', () => {
    it('refuses to delete a tenant with children unless cascading', async () => {
      const [root] = repository.chain(3);
      await expect(service.delete(root?.id ?? '', { cascade: false })).rejects.toBeInstanceOf(
        TenantHasChildrenError,
      );
      await service.delete(root?.id ?? '', { cascade: true });
      expect(repository.tenants.size).toBe(0);
    });
  });

  describe('list', () => {
    it('pages through tenants by slug with a cursor', async () => {
      for (const s of ['c-tenant', 'a-tenant', 'b-tenant']) repository.add({ slug: s });
      const first = await service.list({ limit: 2 });
      expect(first.items.map((t) => t.slug)).toEqual(['a-tenant', 'b-tenant']);
      const second = await service.list({ limit: 2, cursor: first.nextCursor ?? undefined });
      expect(second.items.map((t) => t.slug)).toEqual(['c-tenant']);
      expect(second.nextCursor).toBeNull();
    });
  });
  describe('bus messages', () => {
    const destinations = () =>
      repository.published.map((e) =>
        'topic' in e ? `data ${e.topic.name} ${e.key}` : `control ${e.subject.name} ${e.tokens.tenant}`,
      );

    it('queues the new state and a created signal with every create', async () => {
      const tenant = await service.create({ slug: 'bus-one', name: 'Bus' });
      expect(destinations()).toEqual([
        `data tenancy.tenant-state.v1 ${tenant.id}`,
        `control tenancy.{tenant}.tenant.changed ${tenant.id}`,
      ]);
      expect(repository.published[1]?.value).toMatchObject({ change: 'created', slug: 'bus-one' });
    });

    it('announces every tenant a cascading delete removes', async () => {
      const [root, child, grandchild] = repository.chain(3);
      await service.delete(root?.id ?? '', { cascade: true });
      const deleted = repository.published.filter((e) => 'topic' in e).map((e) => e.key);
      expect(new Set(deleted)).toEqual(new Set([root?.id, child?.id, grandchild?.id]));
      expect(
        repository.published.every(
          (e) =>
            (e.value as { deleted?: boolean; change?: string }).deleted ??
            (e.value as { change: string }).change === 'deleted',
        ),
      ).toBe(true);
    });

    it('queues nothing when the change is refused', async () => {
      await expect(
        service.update('1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b', { name: 'x', settingsMode: 'merge' }),
      ).rejects.toBeInstanceOf(TenantNotFoundError);
      expect(repository.published).toEqual([]);
    });
  });
});
