import { Module } from '@nestjs/common';
import { ConnectionController } from '../connection/connection.controller.ts';
import { FlightSqlEdge } from './flight-sql-edge.ts';

@Module({ controllers: [ConnectionController], providers: [FlightSqlEdge], exports: [FlightSqlEdge] })
export class FlightSqlModule {}
