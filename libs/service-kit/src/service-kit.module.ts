import { type DynamicModule, Global, Inject, Module, type OnModuleInit } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { Kysely } from 'kysely';
import { type Buses, CONTROL_BUS, DATA_BUS } from './bus/buses.ts';
import { KYSELY, pingDatabase } from './database/database.ts';
import { AllExceptionsFilter } from './errors/exception.filter.ts';
import { HealthController } from './health/health.controller.ts';
import { ReadinessService } from './health/readiness.service.ts';
import type { ServiceManifest } from './manifest/manifest.ts';
import { OpenApiController } from './openapi/openapi.controller.ts';
import type { OutboxRelay } from './outbox/outbox.ts';
import { OUTBOX_RELAY, SERVICE_CONFIG, SERVICE_MANIFEST } from './tokens.ts';

export interface ServiceKitContext {
  config: Record<string, unknown>;
  manifest: ServiceManifest;
  db: Kysely<unknown>;
  buses?: Buses;
  outbox?: OutboxRelay | undefined;
}

@Global()
@Module({})
export class ServiceKitModule implements OnModuleInit {
  constructor(
    private readonly readiness: ReadinessService,
    @Inject(KYSELY) private readonly db: Kysely<unknown>,
  ) {}

  static forRoot(context: ServiceKitContext): DynamicModule {
    return {
      module: ServiceKitModule,
      global: true,
      controllers: [HealthController, OpenApiController],
      providers: [
        { provide: SERVICE_CONFIG, useValue: context.config },
        { provide: SERVICE_MANIFEST, useValue: context.manifest },
        { provide: KYSELY, useValue: context.db },
        // null when the service did not ask for that bus (or while only building documents).
        { provide: DATA_BUS, useValue: context.buses?.data ?? null },
        { provide: CONTROL_BUS, useValue: context.buses?.control ?? null },
        { provide: OUTBOX_RELAY, useValue: context.outbox ?? null },
        ReadinessService,
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
      exports: [
        SERVICE_CONFIG,
        SERVICE_MANIFEST,
        KYSELY,
        DATA_BUS,
        CONTROL_BUS,
        OUTBOX_RELAY,
        ReadinessService,
      ],
    };
  }

  onModuleInit(): void {
    this.readiness.register('database', () => pingDatabase(this.db));
  }
}
