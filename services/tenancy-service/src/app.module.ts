import { Module } from '@nestjs/common';
import { TenantsModule } from './tenants/tenants.module.ts';

@Module({ imports: [TenantsModule] })
export class AppModule {}
