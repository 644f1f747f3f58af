import { Module } from '@nestjs/common';
import { CallerGuard } from './auth/caller.ts';
import { CommandRecordRelay } from './commands/command-record-relay.service.ts';
import { CommandsController } from './commands/commands.controller.ts';
import { CommandsRepository } from './commands/commands.repository.ts';
import { CommandsService } from './commands/commands.service.ts';
import { DevicesController } from './devices/devices.controller.ts';
import { DevicesRepository } from './devices/devices.repository.ts';
import { DevicesService } from './devices/devices.service.ts';
import { YamlBodies } from './http/yaml-body.ts';
import { AssignmentsRepository } from './replicas/assignments.repository.ts';
import { CoordinatorService } from './replicas/coordinator.service.ts';
import { LeaderLock } from './replicas/leader-lock.ts';
import { ReplicaTracker } from './replicas/replica-tracker.ts';
import { ReplicasController } from './replicas/replicas.controller.ts';

@Module({
  controllers: [DevicesController, CommandsController, ReplicasController],
  providers: [
    CallerGuard,
    YamlBodies,
    DevicesRepository,
    DevicesService,
    AssignmentsRepository,
    ReplicaTracker,
    LeaderLock,
    CoordinatorService,
    CommandsRepository,
    CommandRecordRelay,
    CommandsService,
  ],
})
export class AppModule {}
