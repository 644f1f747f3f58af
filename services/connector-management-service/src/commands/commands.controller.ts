import { Controller, Get, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import type { CommandOutcome } from '@openfoundry/bus-registry';
import { ApiOperation, ValidationError, ZodBody, ZodParam } from '@openfoundry/service-kit';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { type Caller, CallerGuard, CurrentCaller } from '../auth/caller.ts';
import { tenantParam } from '../devices/device.dto.ts';
import {
  type CommandBody,
  type CommandRecord,
  commandBodySchema,
  commandOutcomeDto,
  commandRecordSchema,
} from './command.dto.ts';
import { CommandsService, FAILURE_STATUS } from './commands.service.ts';

@Controller('v1/tenants/:tenant/commands')
@UseGuards(CallerGuard)
export class CommandsController {
  constructor(private readonly commands: CommandsService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Send a command to the device that maps an asset and wait for its outcome',
    description:
      'The body is the command envelope; commandId, requester and deadline (now + 10 s) are filled in when absent. Failed outcomes come back with their own status, the outcome in the body.',
    response: { schema: commandOutcomeDto, description: 'Acknowledged' },
    errors: {
      400: 'Invalid body (VALIDATION_FAILED), or the replica found the command invalid (outcome)',
      401: 'Missing or unknown bearer token',
      403: "Another tenant's assets",
      404: 'No device maps the asset (outcome unknown-asset)',
      409: 'The replica refused it, e.g. a point that is not writable (outcome refused)',
      413: 'The command is too large to be recorded with its outcome (COMMAND_TOO_LARGE)',
      502: 'The replica failed (outcome error)',
      503: 'The device is offline or no live replica runs it (outcome offline)',
      504: 'The deadline passed (outcome deadline-expired)',
    },
  })
  async send(
    @ZodParam('tenant', tenantParam) tenant: string,
    @ZodBody(commandBodySchema) body: CommandBody,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CommandOutcome> {
    if (body.tenant !== undefined && body.tenant !== tenant)
      throw new ValidationError(`the body's tenant "${body.tenant}" is not the path's "${tenant}"`, [
        { path: 'tenant', location: 'body', message: `must be "${tenant}" or left out` },
      ]);
    const outcome = await this.commands.execute(
      this.commands.complete(tenant, body, `rest:${caller.tenant}`),
    );
    if (outcome.failure) void reply.status(FAILURE_STATUS[outcome.failure.code]);
    return outcome;
  }

  @Get(':commandId')
  @ApiOperation({
    summary: 'A command and its outcome',
    response: { schema: commandRecordSchema },
    errors: {
      400: 'Invalid id',
      401: 'Missing or unknown bearer token',
      403: "Another tenant's commands",
      404: 'Unknown command (COMMAND_NOT_FOUND)',
    },
  })
  get(
    @ZodParam('tenant', tenantParam) tenant: string,
    @ZodParam('commandId', z.uuid()) commandId: string,
  ): Promise<CommandRecord> {
    return this.commands.get(tenant, commandId);
  }
}
