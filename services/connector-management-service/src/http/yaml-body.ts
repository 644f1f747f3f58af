import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ValidationError } from '@openfoundry/service-kit';
import type { FastifyInstance } from 'fastify';
import { parseDocument } from 'yaml';
import { ConnectorErrorCode } from '../errors.ts';

export const YAML_CONTENT_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];

/** Parses one YAML document; a syntax error becomes 400 MALFORMED_YAML naming the line. */
export function parseYamlBody(text: string): unknown {
  const document = parseDocument(text);
  const error = document.errors[0];
  if (error) {
    const line = error.linePos?.[0].line;
    const where = line === undefined ? '' : ` at line ${line}`;
    // The pretty message repeats the position and quotes the source; its first clause is the reason.
    const reason = (error.message.split('\n')[0] ?? 'invalid YAML').replace(
      / at line \d+, column \d+:?$/,
      '',
    );
    throw new ValidationError(
      `request body is not valid YAML${where}: ${reason}`,
      [{ path: '', location: 'body', message: `${reason}${where}` }],
      ConnectorErrorCode.MALFORMED_YAML,
    );
  }
  return document.toJS();
}

/** Device specs may be sent as YAML, as `openfoundry device up` files are written. */
@Injectable()
export class YamlBodies implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addContentTypeParser(YAML_CONTENT_TYPES, { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, parseYamlBody(String(body)));
      } catch (error) {
        done(error as Error, undefined);
      }
    });
  }
}
