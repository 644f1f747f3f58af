import type { DeviceCommand } from '@openfoundry/bus-registry';
import { type CommandResult, DeviceRuntime } from '../../devices/device-runtime.ts';

export class OpcuaDevice extends DeviceRuntime {
  async start(): Promise<void> {
    this.setStatus('error', 'not implemented');
  }
  async stop(): Promise<void> {}
  async command(_command: DeviceCommand): Promise<CommandResult> {
    return { ok: false, code: 'error', message: 'not implemented' };
  }
}
