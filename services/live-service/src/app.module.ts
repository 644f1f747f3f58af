import { Module } from '@nestjs/common';
import type { ControlBus } from '@openfoundry/event-bus-control';
import { CONTROL_BUS } from '@openfoundry/service-kit';
import { TenantGuard } from './auth/tenant.guard.ts';
import { ForwarderService } from './forwarder/forwarder.service.ts';
import { ForwardersController } from './forwarder/forwarders.controller.ts';
import { ProgressRepository } from './forwarder/progress.repository.ts';
import { LiveController } from './live/live.controller.ts';
import { LiveService } from './live/live.service.ts';
import { controlBusSource, SubscriptionHub } from './live/subscription-hub.ts';
import { WsGateway } from './live/ws.gateway.ts';

@Module({
  controllers: [LiveController, ForwardersController],
  providers: [
    {
      provide: SubscriptionHub,
      useFactory: (bus: ControlBus | null) => new SubscriptionHub(bus ? controlBusSource(bus) : undefined),
      inject: [CONTROL_BUS],
    },
    LiveService,
    WsGateway,
    TenantGuard,
    ForwarderService,
    ProgressRepository,
  ],
})
export class AppModule {}
