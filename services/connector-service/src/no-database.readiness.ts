import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { ReadinessService } from '@openfoundry/service-kit';

/**
 * connector-service has no database (ADR 0003: connectors keep no state), but the service kit
 * checks one for every service. Ready means both buses answer; the kit's database check is
 * replaced by one that has nothing to ping.
 */
@Injectable()
export class NoDatabaseReadiness implements OnApplicationBootstrap {
  constructor(private readonly readiness: ReadinessService) {}

  onApplicationBootstrap(): void {
    this.readiness.register('database', async () => 'none: connector-service keeps no state');
  }
}
