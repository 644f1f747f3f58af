import type { ServiceConfig } from '@openfoundry/service-kit';
import { z } from 'zod';

export const tenancyConfigSchema = z.object({
  /** Create the demo hierarchy (acme → plants) on start; idempotent. */
  SEED_DEMO: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
});

export type TenancyConfig = ServiceConfig<typeof tenancyConfigSchema>;
