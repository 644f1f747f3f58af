import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { authorize, type Caller } from '../auth/caller.ts';
import {
  AlreadyExistsError,
  BadRequestError,
  CommitFailedError,
  NoSuchNamespaceError,
  NoSuchViewError,
} from '../catalog.errors.ts';
import type { TableIdentifier } from '../metadata/commit.schema.ts';
import { metadataFileName, metadataVersion } from '../metadata/table-metadata.ts';
import { NamespacesRepository } from '../namespaces/namespaces.repository.ts';
import { ClientStorage } from '../storage/client-storage.ts';
import { Locations } from '../storage/locations.ts';
import { Warehouse } from '../storage/warehouse.ts';
import { type TableRef, ViewsRepository } from '../tables/tables.repository.ts';
import {
  applyViewUpdates,
  type CommitViewRequest,
  type CreateViewRequest,
  checkViewRequirements,
  newViewMetadata,
  type ViewMetadata,
} from './view-metadata.ts';

/** LoadViewResult of the REST spec. */
export interface LoadViewResult {
  'metadata-location': string;
  metadata: ViewMetadata;
  config: Record<string, string>;
}

/** Views: the same pointer-and-file model as tables, with view metadata (format version 1). */
@Injectable()
export class ViewsService {
  constructor(
    private readonly views: ViewsRepository,
    private readonly namespaces: NamespacesRepository,
    private readonly warehouse: Warehouse,
    private readonly storage: ClientStorage,
    private readonly locations: Locations,
  ) {}

  private async pointer(caller: Caller, view: TableRef) {
    authorize(caller, view.namespace);
    const pointer = await this.views.find(view);
    if (!pointer) throw new NoSuchViewError(view.namespace, view.name);
    return pointer;
  }

  private result(metadataLocation: string, metadata: ViewMetadata): LoadViewResult {
    return { 'metadata-location': metadataLocation, metadata, config: this.storage.properties };
  }

  async list(caller: Caller, namespace: string[]) {
    authorize(caller, namespace);
    if (!(await this.namespaces.find(namespace))) throw new NoSuchNamespaceError(namespace);
    return { identifiers: (await this.views.list(namespace, {})).map((name) => ({ namespace, name })) };
  }

  async create(caller: Caller, namespace: string[], request: CreateViewRequest): Promise<LoadViewResult> {
    authorize(caller, namespace);
    if (!(await this.namespaces.find(namespace))) throw new NoSuchNamespaceError(namespace);
    const view = { namespace, name: request.name };
    if (await this.views.nameTaken(view))
      throw new AlreadyExistsError(
        `A table or view named ${[...namespace, view.name].join('.')} already exists`,
      );
    const uuid = randomUUID();
    const location = (request.location ?? this.locations.defaultLocation(view, uuid)).replace(/\/+$/, '');
    this.locations.check(caller, location);
    const metadata = newViewMetadata(request, uuid, location);
    const metadataLocation = metadataFileName(location, 0, randomUUID());
    await this.warehouse.writeMetadata(metadataLocation, metadata);
    await this.views.insert({ ...view, metadataLocation, tableUuid: uuid });
    return this.result(metadataLocation, metadata);
  }

  async load(caller: Caller, view: TableRef): Promise<LoadViewResult> {
    const pointer = await this.pointer(caller, view);
    return this.result(
      pointer.metadataLocation,
      await this.warehouse.readMetadata<ViewMetadata>(pointer.metadataLocation),
    );
  }

  async exists(caller: Caller, view: TableRef): Promise<void> {
    await this.pointer(caller, view);
  }

  /** Replaces a view: checks its requirements, writes the next metadata file, swaps the pointer. */
  async commit(caller: Caller, view: TableRef, request: CommitViewRequest): Promise<LoadViewResult> {
    const pointer = await this.pointer(caller, view);
    const base = await this.warehouse.readMetadata<ViewMetadata>(pointer.metadataLocation);
    checkViewRequirements(base, request.requirements);
    const metadata = applyViewUpdates(base, request.updates, Date.now());
    this.locations.check(caller, metadata.location);
    const next = metadataFileName(
      metadata.location,
      metadataVersion(pointer.metadataLocation) + 1,
      randomUUID(),
    );
    await this.warehouse.writeMetadata(next, metadata);
    if (!(await this.views.swap(view, pointer.metadataLocation, next, metadata['view-uuid'])))
      throw new CommitFailedError(
        `Commit failed: view ${[...view.namespace, view.name].join('.')} was replaced concurrently`,
      );
    return this.result(next, metadata);
  }

  async register(
    caller: Caller,
    namespace: string[],
    request: { name: string; 'metadata-location': string },
  ): Promise<LoadViewResult> {
    authorize(caller, namespace);
    this.locations.check(caller, request['metadata-location']);
    const metadata = await this.warehouse.readMetadata<ViewMetadata>(request['metadata-location']);
    if (typeof metadata['view-uuid'] !== 'string' || typeof metadata.location !== 'string')
      throw new BadRequestError(`Not a view metadata file: ${request['metadata-location']}`);
    this.locations.check(caller, metadata.location);
    await this.views.insert({
      namespace,
      name: request.name,
      metadataLocation: request['metadata-location'],
      tableUuid: metadata['view-uuid'],
    });
    return this.result(request['metadata-location'], metadata);
  }

  /** Drops a view and, unless another table or view shares its location, its metadata files. */
  async drop(caller: Caller, view: TableRef): Promise<void> {
    authorize(caller, view.namespace);
    const metadataLocation = await this.views.delete(view);
    if (!metadataLocation) throw new NoSuchViewError(view.namespace, view.name);
    const { location } = await this.warehouse.readMetadata<ViewMetadata>(metadataLocation);
    if (!(await this.views.anyAt(location))) await this.warehouse.deletePrefix(location);
  }

  async rename(caller: Caller, source: TableIdentifier, destination: TableIdentifier): Promise<void> {
    authorize(caller, source.namespace);
    authorize(caller, destination.namespace);
    if (!(await this.namespaces.find(destination.namespace)))
      throw new NoSuchNamespaceError(destination.namespace);
    if (!(await this.views.rename(source, destination)))
      throw new NoSuchViewError(source.namespace, source.name);
  }
}
