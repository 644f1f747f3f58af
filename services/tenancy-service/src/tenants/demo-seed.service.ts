import { Injectable, Logger } from '@nestjs/common';
import { InjectOutbox, type OutboxRelay } from '@openfoundry/service-kit';
import type { Tenant } from './tenant.ts';
import { tenantEvents } from './tenant-events.ts';
import { type NewTenant, TenantsRepository } from './tenants.repository.ts';

/** A small demo hierarchy; safe to run any number of times. */
@Injectable()
export class DemoSeedService {
  private readonly logger = new Logger(DemoSeedService.name);

  constructor(
    private readonly repository: TenantsRepository,
    @InjectOutbox() private readonly outbox: OutboxRelay | null,
  ) {}

  /** Inserts unless present, announcing only what it really created. */
  private ensure(tenant: NewTenant): Promise<Tenant> {
    return this.repository.transaction(async (repository) => {
      const { tenant: row, created } = await repository.insertIfAbsent(tenant);
      if (created) await repository.publish(tenantEvents(row, 'created'));
      return row;
    });
  }

  async seed(): Promise<Tenant[]> {
    const acme = await this.ensure({
      slug: 'acme',
      name: 'ACME Industries',
      parentId: null,
      settings: { timezone: 'UTC', units: { temperature: 'celsius', pressure: 'bar' }, retentionDays: 30 },
    });
    const berlin = await this.ensure({
      slug: 'acme-plant-berlin',
      name: 'ACME Plant Berlin',
      parentId: acme.id,
      settings: { timezone: 'Europe/Berlin' },
    });
    const austin = await this.ensure({
      slug: 'acme-plant-austin',
      name: 'ACME Plant Austin',
      parentId: acme.id,
      settings: { timezone: 'America/Chicago', units: { temperature: 'fahrenheit' } },
    });
    this.outbox?.poke();
    this.logger.log({ msg: 'demo tenants seeded', slugs: [acme.slug, berlin.slug, austin.slug] });
    return [acme, berlin, austin];
  }
}
