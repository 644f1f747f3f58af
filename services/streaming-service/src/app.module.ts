import { Module } from '@nestjs/common';
import { AdminModule } from './admin/admin.module.ts';
import { AssetsModule } from './assets/assets.module.ts';
import { ProjectionModule } from './projection/projection.module.ts';

@Module({ imports: [ProjectionModule, AssetsModule, AdminModule] })
export class AppModule {}
