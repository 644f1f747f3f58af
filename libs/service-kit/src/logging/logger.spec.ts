import { Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { createRootLogger, PinoNestLogger } from './logger.ts';

/** A Nest logger writing JSON lines into memory, as a service's logger does to stdout. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const root = createRootLogger({ service: 'test-service', level: 'debug', destination });
  Logger.overrideLogger(new PinoNestLogger(root));
  return lines;
}

describe(PinoNestLogger.name, () => {
  afterEach(() => Logger.overrideLogger(true));

  it('keeps the message in both orders: { msg, ...fields } and (fields, message)', () => {
    const lines = capture();
    const logger = new Logger('SinkService');
    logger.log({ msg: 'committed', records: 3 });
    logger.warn({ tenant: 'acme', attempt: 2 }, 'waiting for the catalog');
    logger.log('plain text');
    expect(lines).toEqual([
      expect.objectContaining({ level: 'info', context: 'SinkService', msg: 'committed', records: 3 }),
      expect.objectContaining({
        level: 'warn',
        context: 'SinkService',
        msg: 'waiting for the catalog',
        tenant: 'acme',
        attempt: 2,
      }),
      expect.objectContaining({ level: 'info', context: 'SinkService', msg: 'plain text' }),
    ]);
    expect(lines[1]).not.toHaveProperty('params');
  });

  it('logs an error with its message and stack', () => {
    const lines = capture();
    new Logger('X').error(new Error('boom'));
    expect(lines[0]).toMatchObject({ level: 'error', context: 'X', msg: 'boom', err: { message: 'boom' } });
  });
});
