import { Module } from '@nestjs/common';
import { SinkModule } from './sink/sink.module.ts';

@Module({ imports: [SinkModule] })
export class AppModule {}
