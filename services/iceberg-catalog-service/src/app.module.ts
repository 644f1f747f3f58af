import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { CallerGuard } from './auth/caller.ts';
import { CatalogConfigController } from './catalog-config/config.controller.ts';
import { IcebergExceptionFilter } from './http/iceberg-exception.filter.ts';
import { LosslessJsonBodies } from './http/json-body.ts';
import { NamespacesController } from './namespaces/namespaces.controller.ts';
import { NamespacesRepository } from './namespaces/namespaces.repository.ts';
import { NamespacesService } from './namespaces/namespaces.service.ts';
import { ClientStorage } from './storage/client-storage.ts';
import { Locations } from './storage/locations.ts';
import { Warehouse } from './storage/warehouse.ts';
import { CatalogOperationsController, TablesController } from './tables/tables.controller.ts';
import { TablesRepository, ViewsRepository } from './tables/tables.repository.ts';
import { TablesService } from './tables/tables.service.ts';
import { ViewsController } from './views/views.controller.ts';
import { ViewsService } from './views/views.service.ts';

@Module({
  controllers: [
    CatalogConfigController,
    NamespacesController,
    TablesController,
    CatalogOperationsController,
    ViewsController,
  ],
  providers: [
    // Also global, for what fails before a route runs: unparsable bodies, unknown routes.
    { provide: APP_FILTER, useClass: IcebergExceptionFilter },
    CallerGuard,
    LosslessJsonBodies,
    NamespacesRepository,
    NamespacesService,
    TablesRepository,
    TablesService,
    Warehouse,
    ClientStorage,
    Locations,
    ViewsRepository,
    ViewsService,
  ],
})
export class AppModule {}
