import { Controller, Get } from '@nestjs/common';
import { ApiOperation, apiSchema } from '@openfoundry/service-kit';
import { z } from 'zod';
import { DeviceManager } from '../devices/device-manager.ts';
import type { DeviceStatus } from '../devices/device-runtime.ts';
import { AssetSink } from '../ingest/asset-sink.ts';
import { OutboundService } from '../outbound/outbound.service.ts';
import { ControlPlaneService } from './control-plane.service.ts';

export interface ReplicaStatus {
  replica: string;
  assignmentVersion: number;
  accepting: boolean;
  /** Records handed to Kafka and not yet acknowledged. */
  inFlight: number;
  /** Running devices per status (no tenant or device ids: those go to the coordinator only). */
  devices: Partial<Record<DeviceStatus, number>>;
  /** Dead letters written since start, per `dlq-reason`. */
  deadLetters: Record<string, number>;
  /** The outbound adapter: reading the asset stream (only while a device has rules), deliveries. */
  outbound: { reading: boolean; sent: number; failed: number };
}

@Controller('v1/status')
export class StatusController {
  constructor(
    private readonly control: ControlPlaneService,
    private readonly devices: DeviceManager,
    private readonly sink: AssetSink,
    private readonly outbound: OutboundService,
  ) {}

  @Get()
  @ApiOperation({
    response: {
      schema: apiSchema(
        'ReplicaStatus',
        z.object({
          replica: z.string(),
          assignmentVersion: z.number().int(),
          accepting: z.boolean(),
          inFlight: z.number().int(),
          devices: z.record(z.string(), z.number().int()),
          deadLetters: z.record(z.string(), z.number().int()),
          outbound: z.object({ reading: z.boolean(), sent: z.number().int(), failed: z.number().int() }),
        }),
      ),
    },
    summary:
      'This replica: assignment version, device counts, in-flight records, dead letters per reason, outbound adapter',
  })
  status(): ReplicaStatus {
    const devices: ReplicaStatus['devices'] = {};
    for (const device of this.devices.all()) devices[device.status] = (devices[device.status] ?? 0) + 1;
    return {
      replica: this.control.replica,
      assignmentVersion: this.devices.version,
      accepting: this.control.accepting,
      inFlight: this.sink.inFlight,
      devices,
      deadLetters: { ...this.sink.deadLettersByReason },
      outbound: { reading: this.outbound.reading, ...this.outbound.stats },
    };
  }
}
