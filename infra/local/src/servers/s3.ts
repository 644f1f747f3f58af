import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { cachePaths, HOST, type PlatformConfig, statePaths } from '../config.ts';
import { InfraError } from '../errors.ts';
import { goInstall, goToolchain } from '../install.ts';
import { runLoose } from '../process.ts';
import { MINIO_MODULE, MINIO_VERSION } from '../versions.ts';
import { Daemon } from './server.ts';

const binary = (config: PlatformConfig) => join(cachePaths(config).bin, 'minio');

export function s3Client(config: PlatformConfig): S3Client {
  return new S3Client({
    endpoint: `http://${HOST}:${config.ports.s3}`,
    region: config.s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: config.s3.accessKey, secretAccessKey: config.s3.secretKey },
  });
}

async function ensureBucket(config: PlatformConfig, bucket: string): Promise<boolean> {
  const client = s3Client(config);
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return false;
  } catch {
    try {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      return true;
    } catch (error) {
      // A HEAD that failed while the server was still starting: the bucket is there after all.
      if ((error as { name?: string }).name === 'BucketAlreadyOwnedByYou') return false;
      throw error;
    }
  } finally {
    client.destroy();
  }
}

/** MinIO, built from the Go module proxy (MinIO ships no binaries through the registries we can reach). */
export const s3 = new Daemon({
  name: 's3',
  ports: ['s3', 's3Console'],
  isOurs: (cmd) => cmd.includes('minio server'),
  async install(ctx) {
    if (existsSync(binary(ctx.config))) return;
    const { bin, go } = cachePaths(ctx.config);
    const toolchain = goToolchain(go, bin);
    if (!toolchain) throw new InfraError('Go not found (needed to build MinIO): install Go at /usr/local/go');
    await goInstall(toolchain, MINIO_MODULE, MINIO_VERSION, bin, ctx.log);
  },
  async prepare() {},
  async command(ctx) {
    const { ports, s3: creds } = ctx.config;
    return {
      cmd: binary(ctx.config),
      args: [
        'server',
        '--address',
        `${HOST}:${ports.s3}`,
        '--console-address',
        `${HOST}:${ports.s3Console}`,
        statePaths(ctx.config).data('s3'),
      ],
      env: {
        ...process.env,
        MINIO_ROOT_USER: creds.accessKey,
        MINIO_ROOT_PASSWORD: creds.secretKey,
        MINIO_REGION: creds.region,
        MINIO_UPDATE: 'off',
        MINIO_CI_CD: '1',
      },
    };
  },
  probe: async (ctx) =>
    (
      await fetch(`http://${HOST}:${ctx.config.ports.s3}/minio/health/live`, {
        signal: AbortSignal.timeout(2000),
      })
    ).ok,
  async version(ctx) {
    // go install leaves the release tag empty, so read the module version the binary was built from.
    const { go } = cachePaths(ctx.config);
    const toolchain = goToolchain(go, cachePaths(ctx.config).bin);
    if (!existsSync(binary(ctx.config))) return 'minio (not installed)';
    if (!toolchain) return 'minio';
    const { stdout } = await runLoose(toolchain.go, ['version', '-m', binary(ctx.config)]);
    const mod = /\tmod\tgithub\.com\/minio\/minio\t(\S+)/.exec(stdout);
    return `minio ${mod?.[1] ?? '?'}`;
  },
  endpoint: (ctx) => `http://${HOST}:${ctx.config.ports.s3}`,
  async provision(ctx) {
    if (await ensureBucket(ctx.config, ctx.config.s3.warehouseBucket)) {
      ctx.log(`s3: created bucket ${ctx.config.s3.warehouseBucket}`);
    }
  },
  startTimeoutMs: 60_000,
});
