import { Injectable } from '@nestjs/common';
import { ALL_TENANTS, type Caller } from '../auth/caller.ts';
import { ForbiddenError } from '../catalog.errors.ts';
import { Warehouse } from './warehouse.ts';

/** Where tables and views live in the warehouse, and where a tenant may put them (ADR 0002, 0012). */
@Injectable()
export class Locations {
  constructor(private readonly warehouse: Warehouse) {}

  /** `s3://<bucket>/<tenant>/<namespace…>/<name>-<uuid>`: the tenant is the namespace's first level. */
  defaultLocation(ref: { namespace: readonly string[]; name: string }, uuid: string): string {
    return this.warehouse.url([...ref.namespace, `${ref.name}-${uuid}`].join('/'));
  }

  /** A tenant's files stay inside its own part of the warehouse; an every-tenant caller's inside the warehouse. */
  check(caller: Caller, location: string): void {
    const root = this.warehouse.url(caller.tenant === ALL_TENANTS ? '' : `${caller.tenant}/`);
    if (!location.startsWith(root) || location.split('/').includes('..'))
      throw new ForbiddenError(`Locations of tenant ${caller.tenant} must be under ${root}`);
  }
}
