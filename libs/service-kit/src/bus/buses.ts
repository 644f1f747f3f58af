import { Inject } from '@nestjs/common';
import { platformRegistry } from '@openfoundry/bus-registry';
import { ControlBus } from '@openfoundry/event-bus-control';
import { DataBus } from '@openfoundry/event-bus-data';
import type { Logger as PinoLogger } from 'pino';
import { z } from 'zod';

export const DATA_BUS = Symbol('openfoundry:data-bus');
export const CONTROL_BUS = Symbol('openfoundry:control-bus');
/** Injects the service's DataBus (when the definition asks for the data bus). */
export const InjectDataBus = (): ParameterDecorator & PropertyDecorator => Inject(DATA_BUS);
/** Injects the service's ControlBus (when the definition asks for the control bus). */
export const InjectControlBus = (): ParameterDecorator & PropertyDecorator => Inject(CONTROL_BUS);

export type BusName = 'data' | 'control';

/** Variables a service needs per bus; validated at boot with the rest of its config. */
export const dataBusConfigSchema = z.object({
  OPENFOUNDRY_KAFKA_BROKERS: z
    .string()
    .regex(/^[^:,\s]+:\d+(,[^:,\s]+:\d+)*$/, 'must be host:port[,host:port…]'),
  OPENFOUNDRY_KAFKA_USERNAME: z.string().min(1),
  OPENFOUNDRY_KAFKA_PASSWORD: z.string().min(1),
  OPENFOUNDRY_LINEAGE_NAMESPACE: z.string().min(1).default('openfoundry.local'),
});
export const controlBusConfigSchema = z.object({
  OPENFOUNDRY_NATS_URL: z.string().regex(/^nats:\/\/[^\s]+$/, 'must be a nats:// URL'),
  OPENFOUNDRY_NATS_USER: z.string().min(1),
  OPENFOUNDRY_NATS_PASSWORD: z.string().min(1),
});

export interface Buses {
  data?: DataBus;
  control?: ControlBus;
  close(): Promise<void>;
}

const busLogger = (logger: PinoLogger, context: string) => {
  const child = logger.child({ context });
  return {
    info: (fields: Record<string, unknown>, message: string) => child.info(fields, message),
    warn: (fields: Record<string, unknown>, message: string) => child.warn(fields, message),
    error: (fields: Record<string, unknown>, message: string) => child.error(fields, message),
  };
};

/** Connects the buses a service asked for, as the service's own principal. */
export async function connectBuses(
  service: string,
  wanted: readonly BusName[],
  config: Record<string, unknown>,
  logger: PinoLogger,
): Promise<Buses> {
  const buses: Buses = {
    async close() {
      await Promise.allSettled([buses.data?.close(), buses.control?.close()]);
    },
  };
  try {
    if (wanted.includes('data')) {
      const c = dataBusConfigSchema.parse(config);
      buses.data = await DataBus.connect({
        service,
        brokers: c.OPENFOUNDRY_KAFKA_BROKERS.split(','),
        username: c.OPENFOUNDRY_KAFKA_USERNAME,
        password: c.OPENFOUNDRY_KAFKA_PASSWORD,
        namespace: c.OPENFOUNDRY_LINEAGE_NAMESPACE,
        registry: platformRegistry,
        logger: busLogger(logger, 'DataBus'),
      });
    }
    if (wanted.includes('control')) {
      const c = controlBusConfigSchema.parse(config);
      buses.control = await ControlBus.connect({
        service,
        servers: c.OPENFOUNDRY_NATS_URL,
        user: c.OPENFOUNDRY_NATS_USER,
        password: c.OPENFOUNDRY_NATS_PASSWORD,
        registry: platformRegistry,
        logger: busLogger(logger, 'ControlBus'),
      });
    }
    logger.info({ context: 'Bootstrap', buses: wanted }, 'buses connected');
    return buses;
  } catch (error) {
    await buses.close();
    throw error;
  }
}
