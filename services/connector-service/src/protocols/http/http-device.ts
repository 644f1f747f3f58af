import type { DeviceCommand } from '@openfoundry/bus-registry';
import { type CommandResult, DeviceRuntime } from '../../devices/device-runtime.ts';
import type { NormaliseContext } from '../../ingest/normalise.ts';

/** An HTTP push device: nothing to connect to; it posts to `/v1/ingest/{tenant}/{device}`. */
export class HttpDevice extends DeviceRuntime {
  async start(): Promise<void> {
    this.setStatus('online');
  }

  async stop(): Promise<void> {
    this.setStatus('offline', 'stopped');
  }

  /** Events are checked with the sink's validator, so publishing them does not check them again. */
  protected override context(): NormaliseContext {
    const context = super.context();
    context.validate = (event) => this.deps.sink.validate(event);
    return context;
  }

  async command(_command: DeviceCommand): Promise<CommandResult> {
    return { ok: false, code: 'invalid', message: 'HTTP push devices cannot receive commands' };
  }
}
