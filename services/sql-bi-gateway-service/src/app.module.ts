import { Module } from '@nestjs/common';
import { FlightSqlModule } from './flight-sql/flight-sql.module.ts';

@Module({ imports: [FlightSqlModule] })
export class AppModule {}
