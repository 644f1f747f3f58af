import { Module } from '@nestjs/common';
import { AssetsController } from './assets.controller.ts';
import { AssetsRepository } from './assets.repository.ts';
import { AssetsService } from './assets.service.ts';

@Module({
  controllers: [AssetsController],
  providers: [AssetsService, AssetsRepository],
})
export class AssetsModule {}
