import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { PlatformEnv } from '@openfoundry/infra-local';

/** The warehouse bucket reached the way the catalog reaches it (path-style, the platform's keys). */
export class Warehouse {
  readonly s3: S3Client;
  readonly bucket: string;

  constructor(env: PlatformEnv) {
    this.bucket = env.OPENFOUNDRY_S3_WAREHOUSE_BUCKET;
    this.s3 = new S3Client({
      endpoint: env.OPENFOUNDRY_S3_ENDPOINT,
      region: env.OPENFOUNDRY_S3_REGION,
      forcePathStyle: true,
      credentials: {
        accessKeyId: env.OPENFOUNDRY_S3_ACCESS_KEY,
        secretAccessKey: env.OPENFOUNDRY_S3_SECRET_KEY,
      },
    });
  }

  private key(location: string): string {
    const prefix = `s3://${this.bucket}/`;
    if (!location.startsWith(prefix)) throw new Error(`${location} is not in the warehouse ${this.bucket}`);
    return location.slice(prefix.length);
  }

  /** Writes a new metadata file as the catalog does: never over an existing one. */
  async put(location: string, body: string): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.key(location),
        Body: body,
        ContentType: 'application/json',
        IfNoneMatch: '*',
      }),
    );
  }

  async get(location: string): Promise<string> {
    const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(location) }));
    return (await object.Body?.transformToString('utf8')) ?? '';
  }

  /** Every object under a location (`s3://<bucket>/…`), with its size. */
  async list(location: string): Promise<{ location: string; bytes: number }[]> {
    const objects: { location: string; bytes: number }[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: `${this.key(location).replace(/\/+$/, '')}/`,
          ContinuationToken: token,
        }),
      );
      for (const object of page.Contents ?? [])
        if (object.Key)
          objects.push({ location: `s3://${this.bucket}/${object.Key}`, bytes: object.Size ?? 0 });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects;
  }

  async deletePrefix(prefix: string): Promise<number> {
    let deleted = 0;
    await this.eachPage(prefix, async (keys) => {
      await this.s3.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      deleted += keys.length;
    });
    return deleted;
  }

  private async eachPage(prefix: string, visit: (keys: string[]) => Promise<void>): Promise<void> {
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${prefix}/`, ContinuationToken: token }),
      );
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : []));
      if (keys.length) await visit(keys);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  close(): void {
    this.s3.destroy();
  }
}
