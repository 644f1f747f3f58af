import { Controller, Get, Inject } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import type { ServiceManifest } from '../manifest/manifest.ts';
import { SERVICE_MANIFEST } from '../tokens.ts';
import { buildOpenApiDocument, type OpenApiDocument } from './openapi.ts';

@Controller()
export class OpenApiController {
  private document: OpenApiDocument | undefined;

  constructor(
    private readonly modules: ModulesContainer,
    @Inject(SERVICE_MANIFEST) private readonly manifest: ServiceManifest,
  ) {}

  @Get('openapi.json')
  openapi(): OpenApiDocument {
    this.document ??= buildOpenApiDocument(this.modules, this.manifest);
    return this.document;
  }
}
