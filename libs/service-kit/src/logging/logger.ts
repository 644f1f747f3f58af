import type { LoggerService, LogLevel } from '@nestjs/common';
import { type DestinationStream, type Logger as PinoLogger, pino } from 'pino';
import { requestContext } from './request-context.ts';

export function createRootLogger(options: {
  service: string;
  level: string;
  destination?: DestinationStream | undefined;
}): PinoLogger {
  return pino(
    {
      level: options.level,
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

type PinoLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * NestJS logger backed by pino. `new Logger(MyClass.name)` anywhere in a service ends up here:
 * the class name becomes `context`, and inside a request the line carries its `requestId`.
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly root: PinoLogger) {}

  private write(level: PinoLevel, message: unknown, optional: unknown[], stack?: string): void {
    const logger = requestContext.getStore()?.log ?? this.root;
    const params = [...optional];
    const context = typeof params.at(-1) === 'string' ? (params.pop() as string) : undefined;
    // pino's order, `logger.log({ ...fields }, 'message')`, is used as much as `{ msg, ...fields }`.
    const text =
      typeof message === 'object' &&
      message !== null &&
      !(message instanceof Error) &&
      typeof params[0] === 'string'
        ? (params.shift() as string)
        : undefined;
    const fields: Record<string, unknown> = {};
    if (context) fields.context = context;
    if (stack) fields.stack = stack;
    if (params.length > 0) fields.params = params;
    if (message instanceof Error) {
      logger[level]({ ...fields, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      if (text === undefined) logger[level]({ ...fields, ...(message as Record<string, unknown>) });
      else logger[level]({ ...fields, ...(message as Record<string, unknown>) }, text);
    } else {
      logger[level](fields, String(message));
    }
  }

  log(message: unknown, ...optional: unknown[]): void {
    this.write('info', message, optional);
  }
  error(message: unknown, ...optional: unknown[]): void {
    // Nest calls error(message, stack, context); a lone string argument is a context.
    const stack =
      optional.length >= 2 && typeof optional[0] === 'string' ? (optional.shift() as string) : undefined;
    this.write('error', message, optional, stack);
  }
  warn(message: unknown, ...optional: unknown[]): void {
    this.write('warn', message, optional);
  }
  debug(message: unknown, ...optional: unknown[]): void {
    this.write('debug', message, optional);
  }
  verbose(message: unknown, ...optional: unknown[]): void {
    this.write('trace', message, optional);
  }
  fatal(message: unknown, ...optional: unknown[]): void {
    this.write('fatal', message, optional);
  }
  setLogLevels(_levels: LogLevel[]): void {
    // The level is pino's, set from LOG_LEVEL.
  }
}
