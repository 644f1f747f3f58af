import { Module } from '@nestjs/common';
import { CommandService } from './control/command.service.ts';
import { ControlPlaneService } from './control/control-plane.service.ts';
import { StatusController } from './control/status.controller.ts';
import { DeviceManager } from './devices/device-manager.ts';
import { AssetSink } from './ingest/asset-sink.ts';
import { NoDatabaseReadiness } from './no-database.readiness.ts';
import { OutboundService } from './outbound/outbound.service.ts';
import { IngestController } from './protocols/http/ingest.controller.ts';
import { IngestService } from './protocols/http/ingest.service.ts';
import { NdjsonParser } from './protocols/http/ndjson-parser.ts';

@Module({
  controllers: [IngestController, StatusController],
  providers: [
    AssetSink,
    DeviceManager,
    CommandService,
    ControlPlaneService,
    IngestService,
    NdjsonParser,
    NoDatabaseReadiness,
    OutboundService,
  ],
})
export class AppModule {}
