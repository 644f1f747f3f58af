import type { JsonObject } from '../database.ts';

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  parentId: string | null;
  settings: JsonObject;
  createdAt: Date;
  updatedAt: Date;
}

export interface TenantPage {
  items: Tenant[];
  nextCursor: string | null;
}
