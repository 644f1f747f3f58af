import { Module } from '@nestjs/common';
import { DemoSeedService } from './demo-seed.service.ts';
import { TenantsController } from './tenants.controller.ts';
import { TenantsRepository } from './tenants.repository.ts';
import { TenantsService } from './tenants.service.ts';

@Module({
  controllers: [TenantsController],
  providers: [TenantsService, TenantsRepository, DemoSeedService],
  exports: [DemoSeedService],
})
export class TenantsModule {}
