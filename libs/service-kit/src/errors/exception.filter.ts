import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { mapError } from './error-mapping.ts';

/** The only place errors become HTTP responses: one shape, never a stack trace. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger(AllExceptionsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const mapped = mapError(exception, String(request.id));
    if (mapped.unexpected) {
      this.logger.error(exception instanceof Error ? exception : String(exception));
    } else {
      this.logger.debug({
        status: mapped.status,
        code: mapped.body.error.code,
        msg: mapped.body.error.message,
      });
    }
    void reply
      .status(mapped.status)
      .header('content-type', 'application/json; charset=utf-8')
      .send(mapped.body);
  }
}
