import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadConfig } from '@openfoundry/infra-local';

/** What one service presents to the brokers: its own Kafka SCRAM principal and its own NATS user. */
export interface ServiceCredentials {
  service: string;
  kafka: { username: string; password: string };
  nats: { user: string; password: string };
}

/** The environment variables a service reads its bus credentials from. */
export const CREDENTIAL_ENV = {
  kafkaUsername: 'OPENFOUNDRY_KAFKA_USERNAME',
  kafkaPassword: 'OPENFOUNDRY_KAFKA_PASSWORD',
  natsUser: 'OPENFOUNDRY_NATS_USER',
  natsPassword: 'OPENFOUNDRY_NATS_PASSWORD',
} as const;

export function credentialEnv(credentials: ServiceCredentials): Record<string, string> {
  return {
    [CREDENTIAL_ENV.kafkaUsername]: credentials.kafka.username,
    [CREDENTIAL_ENV.kafkaPassword]: credentials.kafka.password,
    [CREDENTIAL_ENV.natsUser]: credentials.nats.user,
    [CREDENTIAL_ENV.natsPassword]: credentials.nats.password,
  };
}

export function defaultSecretFile(): string {
  return join(loadConfig().stateDir, 'bus', 'local-secret');
}

/**
 * Per-service secrets for the local platform. Each password is an HMAC of the service name under
 * one random local secret (created once, mode 600, in the state directory), so any process can
 * derive a service's credentials without a shared file to update, and parallel provisioning runs
 * cannot race. Production takes credentials from its secret store instead.
 */
export class CredentialStore {
  readonly file: string;
  #secret: Buffer | undefined;

  constructor(file: string = defaultSecretFile()) {
    this.file = file;
  }

  private secret(): Buffer {
    if (this.#secret) return this.#secret;
    if (!existsSync(this.file)) {
      mkdirSync(dirname(this.file), { recursive: true });
      try {
        // 'wx' fails if another process created it first; then we read theirs.
        writeFileSync(this.file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    this.#secret = Buffer.from(readFileSync(this.file, 'utf8').trim(), 'hex');
    return this.#secret;
  }

  private derive(service: string, purpose: string): string {
    return createHmac('sha256', this.secret())
      .update(`${purpose}:${service}`)
      .digest('base64url')
      .slice(0, 32);
  }

  get(service: string): ServiceCredentials {
    return {
      service,
      kafka: { username: service, password: this.derive(service, 'kafka') },
      nats: { user: service, password: this.derive(service, 'nats') },
    };
  }
}
