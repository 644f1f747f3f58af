import { Injectable, Logger } from '@nestjs/common';
import type { Tenant } from './tenant.ts';
import { TenantsRepository } from './tenants.repository.ts';

/** A small demo hierarchy; safe to run any number of times. */
@Injectable()
export class DemoSeedService {
  private readonly logger = new Logger(DemoSeedService.name);

  constructor(private readonly repository: TenantsRepository) {}

  async seed(): Promise<Tenant[]> {
    const acme = await this.repository.insertIfAbsent({
      slug: 'acme',
      name: 'ACME Industries',
      parentId: null,
      settings: { timezone: 'UTC', units: { temperature: 'celsius', pressure: 'bar' }, retentionDays: 30 },
    });
    const berlin = await this.repository.insertIfAbsent({
      slug: 'acme-plant-berlin',
      name: 'ACME Plant Berlin',
      parentId: acme.id,
      settings: { timezone: 'Europe/Berlin' },
    });
    const austin = await this.repository.insertIfAbsent({
      slug: 'acme-plant-austin',
      name: 'ACME Plant Austin',
      parentId: acme.id,
      settings: { timezone: 'America/Chicago', units: { temperature: 'fahrenheit' } },
    });
    this.logger.log({ msg: 'demo tenants seeded', slugs: [acme.slug, berlin.slug, austin.slug] });
    return [acme, berlin, austin];
  }
}
