import { Module } from '@nestjs/common';
import { ProjectionModule } from '../projection/projection.module.ts';
import { AdminController } from './admin.controller.ts';

@Module({ imports: [ProjectionModule], controllers: [AdminController] })
export class AdminModule {}
