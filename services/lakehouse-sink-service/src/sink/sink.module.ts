import { Module } from '@nestjs/common';
import { CommitsRepository } from './commits.repository.ts';
import { LakehouseSinkService } from './lakehouse-sink.service.ts';
import { SinkController } from './sink.controller.ts';

@Module({
  controllers: [SinkController],
  providers: [CommitsRepository, LakehouseSinkService],
  exports: [LakehouseSinkService],
})
export class SinkModule {}
