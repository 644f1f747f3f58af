import { Injectable } from '@nestjs/common';
import { ALL_TENANTS, authorize, type Caller } from '../auth/caller.ts';
import { NamespaceNotEmptyError, NoSuchNamespaceError, UnprocessableEntityError } from '../catalog.errors.ts';
import { fetchLimit, type PageQuery, toPage } from '../http/paging.ts';
import { type Namespace, NamespacesRepository } from './namespaces.repository.ts';

export interface PropertiesChange {
  updated: string[];
  removed: string[];
  missing: string[];
}

/** Namespaces as a tree owned by tenants: the first level is the tenant, a child needs its parent. */
@Injectable()
export class NamespacesService {
  constructor(private readonly namespaces: NamespacesRepository) {}

  async list(caller: Caller, parent: readonly string[], query: PageQuery = {}) {
    if (parent.length > 0) await this.load(caller, parent);
    const roots = parent.length || caller.tenant === ALL_TENANTS ? undefined : [caller.tenant];
    const rows = await this.namespaces.children(parent, roots, {
      after: query.pageToken,
      limit: fetchLimit(query),
    });
    const { items, next } = toPage(rows, query, (levels) => levels.at(-1) ?? '');
    return { namespaces: items, ...(next === undefined ? {} : { 'next-page-token': next }) };
  }

  async create(caller: Caller, levels: string[], properties: Record<string, string>): Promise<Namespace> {
    authorize(caller, levels);
    return this.namespaces.transaction(async (repository) => {
      // The parent's key-share lock makes a concurrent drop of the parent wait for this insert.
      if (levels.length > 1 && !(await repository.lock(levels.slice(0, -1), 'key share')))
        throw new NoSuchNamespaceError(levels.slice(0, -1));
      await repository.insert({ levels, properties });
      return { levels, properties };
    });
  }

  async load(caller: Caller, levels: readonly string[]): Promise<Namespace> {
    authorize(caller, levels);
    const namespace = await this.namespaces.find(levels);
    if (!namespace) throw new NoSuchNamespaceError(levels);
    return namespace;
  }

  async updateProperties(
    caller: Caller,
    levels: readonly string[],
    change: { updates: Record<string, string>; removals: string[] },
  ): Promise<PropertiesChange> {
    authorize(caller, levels);
    const both = change.removals.filter((key) => key in change.updates);
    if (both.length)
      throw new UnprocessableEntityError(`Keys are both updated and removed: ${both.join(', ')}`);
    return this.namespaces.transaction(async (repository) => {
      const namespace = await repository.lock(levels, 'update');
      if (!namespace) throw new NoSuchNamespaceError(levels);
      const properties = { ...namespace.properties };
      const removed: string[] = [];
      const missing: string[] = [];
      for (const key of change.removals) {
        if (key in properties) {
          delete properties[key];
          removed.push(key);
        } else missing.push(key);
      }
      Object.assign(properties, change.updates);
      await repository.setProperties(levels, properties);
      return { updated: Object.keys(change.updates), removed, missing };
    });
  }

  async drop(caller: Caller, levels: readonly string[]): Promise<void> {
    authorize(caller, levels);
    await this.namespaces.transaction(async (repository) => {
      if (!(await repository.lock(levels, 'update'))) throw new NoSuchNamespaceError(levels);
      if (await repository.hasChildren(levels)) throw new NamespaceNotEmptyError(levels);
      await repository.delete(levels);
    });
  }
}
