import { Module } from '@nestjs/common';
import { FlightSqlEdge } from './flight-sql-edge.ts';

@Module({ providers: [FlightSqlEdge], exports: [FlightSqlEdge] })
export class FlightSqlModule {}
