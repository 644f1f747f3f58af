import type { DeviceCommand } from '@openfoundry/bus-registry';
import { type CommandResult, DeviceRuntime } from '../../devices/device-runtime.ts';

/** An HTTP push device: nothing to connect to; it posts to `/v1/ingest/{tenant}/{device}`. */
export class HttpDevice extends DeviceRuntime {
  async start(): Promise<void> {
    this.setStatus('online');
  }

  async stop(): Promise<void> {
    this.setStatus('offline', 'stopped');
  }

  async command(_command: DeviceCommand): Promise<CommandResult> {
    return { ok: false, code: 'invalid', message: 'HTTP push devices cannot receive commands' };
  }
}
