import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Variables every service understands; a service's own schema is merged over these. */
export const commonConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  DATABASE_ADMIN_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
});

export type CommonConfig = z.output<typeof commonConfigSchema>;
// biome-ignore lint/suspicious/noExplicitAny: any zod object shape can extend the common schema
export type ServiceConfigSchema = z.ZodObject<any>;
export type ServiceConfig<S extends ServiceConfigSchema | undefined> = CommonConfig &
  (S extends ServiceConfigSchema ? z.output<S> : unknown);

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.map((p) => `config error: ${p}`).join('\n'));
    this.name = 'ConfigError';
  }
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const name = issue.path.join('.') || '(root)';
  const got = raw === undefined ? '' : ` (got ${JSON.stringify(maskValue(name, raw))})`;
  if (raw === undefined && issue.code === 'invalid_type') return `${name} is required`;
  switch (issue.code) {
    case 'invalid_type':
      return `${name} must be ${issue.expected === 'number' ? 'a number' : `of type ${issue.expected}`}${got}`;
    case 'invalid_value':
      return `${name} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}${got}`;
    case 'too_small':
      return `${name} must be >= ${String(issue.minimum)}${got}`;
    case 'too_big':
      return `${name} must be <= ${String(issue.maximum)}${got}`;
    case 'invalid_format':
      return `${name} must be a valid ${issue.format}${got}`;
    default:
      return `${name}: ${issue.message}${got}`;
  }
}

/**
 * Validates the environment against the common schema merged with the service's schema.
 * Throws a ConfigError naming every bad variable; never returns a partially valid config.
 */
export function loadConfig<S extends ServiceConfigSchema | undefined>(
  serviceSchema: S,
  env: Record<string, string | undefined> = process.env,
  defaults: Record<string, string> = {},
): ServiceConfig<S> {
  const schema = serviceSchema ? commonConfigSchema.extend(serviceSchema.shape) : commonConfigSchema;
  // Empty strings mean "unset" so that `PORT= node main.js` falls back to defaults.
  const input: Record<string, string> = { ...defaults };
  for (const [key, value] of Object.entries(env)) if (value !== undefined && value !== '') input[key] = value;
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => describeIssue(issue, input[String(issue.path[0])])),
    );
  }
  return result.data as ServiceConfig<S>;
}

const SECRET_NAME = /PASSWORD|SECRET|TOKEN|KEY|CREDENTIAL/i;
export const MASK = '***';

/** Masks the password of a URL with credentials (postgres://user:pass@host → postgres://user:***@host). */
export function maskUrl(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@/\s]*@/i, `$1:${MASK}@`);
}

function maskValue(name: string, value: unknown): unknown {
  if (SECRET_NAME.test(name)) return MASK;
  return typeof value === 'string' ? maskUrl(value) : value;
}

/** A copy of the config safe to log: secret-named values hidden, URL passwords masked. */
export function maskConfig(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).map(([key, value]) => [key, maskValue(key, value)]));
}

const TOKEN_TENANT = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/**
 * `token=tenant,token=tenant`: static bearer tokens and the tenant each acts for, until an identity
 * service issues real ones. `token=*` (when `allowAllTenants`) acts for every tenant: platform
 * writers and operators. Parses to a Map from token to tenant.
 */
export function tenantTokensSchema(options: { allowAllTenants?: boolean } = {}) {
  const all = options.allowAllTenants ?? false;
  return z.string().transform((value, ctx) => {
    const tokens = new Map<string, string>();
    for (const pair of value
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const [token, tenant, ...rest] = pair.split('=');
      if (!token || !tenant || rest.length || !((all && tenant === '*') || TOKEN_TENANT.test(tenant))) {
        ctx.addIssue({
          code: 'custom',
          message: `must be a comma-separated list of token=tenant${all ? ' (or token=* for every tenant)' : ''}`,
        });
        return z.NEVER;
      }
      tokens.set(token, tenant);
    }
    return tokens;
  });
}

/** The development tokens every tenant-scoped service accepts unless configured otherwise. */
export const DEV_TENANT_TOKENS: ReadonlyMap<string, string> = new Map([
  ['dev-acme-token', 'acme'],
  ['dev-globex-token', 'globex'],
]);
