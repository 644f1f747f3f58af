import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import { CommonErrorCode, DomainError, type FieldError, mapError } from '@openfoundry/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { IcebergErrorType } from '../catalog.errors.ts';
import { stringifyJson } from '../json/lossless-json.ts';

/** The Iceberg REST error model: what every client of this service parses on a non-2xx answer. */
export interface IcebergErrorBody {
  error: { message: string; type: string; code: number };
}

const TYPE_BY_STATUS: Record<number, string> = {
  400: IcebergErrorType.BAD_REQUEST,
  401: IcebergErrorType.NOT_AUTHORIZED,
  403: IcebergErrorType.FORBIDDEN,
  404: IcebergErrorType.NOT_FOUND,
  405: 'MethodNotAllowedException',
  406: 'NotAcceptableException',
  409: 'ConflictException',
  413: 'PayloadTooLargeException',
  415: IcebergErrorType.UNSUPPORTED_MEDIA_TYPE,
  422: 'UnprocessableEntityException',
  503: IcebergErrorType.SERVICE_UNAVAILABLE,
};

const ICEBERG_TYPES = new Set<string>(Object.values(IcebergErrorType));

/**
 * Maps anything thrown to the Iceberg error model, reusing the kit's mapping for the status (so
 * bad JSON, oversize bodies and unknown routes keep their statuses) and hiding internals on 5xx.
 */
export function toIcebergError(
  exception: unknown,
  requestId: string,
): { status: number; body: IcebergErrorBody; unexpected: boolean } {
  const mapped = mapError(exception, requestId);
  const { code, message, details } = mapped.body.error;
  let type =
    TYPE_BY_STATUS[mapped.status] ??
    (mapped.status >= 500 ? IcebergErrorType.SERVER_ERROR : IcebergErrorType.BAD_REQUEST);
  if (exception instanceof DomainError && ICEBERG_TYPES.has(exception.code)) type = exception.code;
  let text = message;
  if (code === CommonErrorCode.VALIDATION_FAILED && Array.isArray(details)) {
    const fields = (details as FieldError[]).map((d) => (d.path ? `${d.path}: ${d.message}` : d.message));
    text = `${message}: ${fields.join('; ')}`;
  }
  return {
    status: mapped.status,
    body: { error: { message: text, type, code: mapped.status } },
    unexpected: mapped.unexpected,
  };
}

@Catch()
export class IcebergExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(IcebergExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const { status, body, unexpected } = toIcebergError(exception, String(request.id));
    if (unexpected) this.logger.error(exception instanceof Error ? exception : String(exception));
    else this.logger.debug({ status, type: body.error.type, msg: body.error.message });
    void reply.status(status).header('content-type', 'application/json').send(stringifyJson(body));
  }
}
