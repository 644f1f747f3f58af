import { Controller, Get } from '@nestjs/common';
import { ApiOperation, apiSchema, InjectConfig } from '@openfoundry/service-kit';
import { z } from 'zod';
import type { SqlGatewayConfig } from '../config.ts';
import { FlightSqlEdge } from '../flight-sql/flight-sql-edge.ts';

export const connectionInfoSchema = apiSchema(
  'ConnectionInfo',
  z.object({
    flightSql: z.object({
      host: z.string(),
      port: z.number().int(),
      tls: z.boolean(),
      /** For ADBC and pyarrow.flight. */
      uri: z.string(),
      /** For the Arrow Flight SQL JDBC driver (DBeaver, Tableau); add user and password. */
      jdbcUrl: z.string(),
    }),
    authentication: z.string(),
    catalogs: z.array(z.string()),
  }),
);

/**
 * How a BI tool reaches the edge: public facts only (no credentials), for people and for the web
 * app's "connect your tool" page.
 */
@Controller('connection')
export class ConnectionController {
  constructor(
    private readonly edge: FlightSqlEdge,
    @InjectConfig() private readonly config: SqlGatewayConfig,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Where and how Flight SQL clients connect',
    response: { schema: connectionInfoSchema },
  })
  get(): z.output<typeof connectionInfoSchema> {
    const host = this.config.FLIGHT_SQL_HOST;
    const port = this.edge.port ?? this.config.FLIGHT_SQL_PORT;
    const tls = this.edge.tls;
    return {
      flightSql: {
        host,
        port,
        tls,
        uri: `${tls ? 'grpc+tls' : 'grpc'}://${host}:${port}`,
        jdbcUrl: `jdbc:arrow-flight-sql://${host}:${port}/?useEncryption=${tls}`,
      },
      authentication: 'user and password (HTTP Basic on the Flight handshake), exchanged for a bearer token',
      catalogs: [...this.edge.catalogs],
    };
  }
}
