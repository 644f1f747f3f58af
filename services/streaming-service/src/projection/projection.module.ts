import { Module } from '@nestjs/common';
import { AssetStreamConsumer } from './asset-stream.consumer.ts';
import { ProjectionRepository } from './projection.repository.ts';
import { ProjectionService } from './projection.service.ts';

@Module({
  providers: [ProjectionRepository, ProjectionService, AssetStreamConsumer],
  exports: [ProjectionService, AssetStreamConsumer],
})
export class ProjectionModule {}
