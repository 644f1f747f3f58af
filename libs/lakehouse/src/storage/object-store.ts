import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';

/** An object under a table location. */
export interface StoredObject {
  /** s3://bucket/key */
  path: string;
  size: number;
  lastModified: Date;
}

export interface S3Settings {
  endpoint: string;
  region?: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** The object store a table lives on, addressed by s3:// paths (path-style, any S3-compatible server). */
export class ObjectStore {
  constructor(private readonly s3: S3Client) {}

  static fromSettings(settings: S3Settings): ObjectStore {
    return new ObjectStore(
      new S3Client({
        endpoint: settings.endpoint,
        region: settings.region ?? 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
      }),
    );
  }

  /** The S3 settings a catalog hands out in a table load's `config` (ADR 0012). */
  static settingsFromTableConfig(config: Record<string, string>): S3Settings | undefined {
    const endpoint = config['s3.endpoint'];
    const accessKeyId = config['s3.access-key-id'];
    const secretAccessKey = config['s3.secret-access-key'];
    if (!endpoint || !accessKeyId || !secretAccessKey) return undefined;
    return { endpoint, accessKeyId, secretAccessKey, region: config['s3.region'] ?? 'us-east-1' };
  }

  /** Writes a new object; an existing one at that path is an error, never overwritten. */
  async create(path: string, body: Uint8Array): Promise<void> {
    const { bucket, key } = parseS3Path(path);
    await this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, IfNoneMatch: '*' }));
  }

  async read(path: string): Promise<Uint8Array> {
    const { bucket, key } = parseS3Path(path);
    const object = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!object.Body) throw new Error(`${path} has no body`);
    return object.Body.transformToByteArray();
  }

  async *list(prefix: string): AsyncGenerator<StoredObject> {
    const { bucket, key } = parseS3Path(prefix);
    const keyPrefix = key.endsWith('/') ? key : `${key}/`;
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: keyPrefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        if (!object.Key) continue;
        yield {
          path: `s3://${bucket}/${object.Key}`,
          size: object.Size ?? 0,
          lastModified: object.LastModified ?? new Date(0),
        };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async delete(paths: readonly string[]): Promise<void> {
    const byBucket = new Map<string, string[]>();
    for (const path of paths) {
      const { bucket, key } = parseS3Path(path);
      byBucket.set(bucket, [...(byBucket.get(bucket) ?? []), key]);
    }
    for (const [bucket, keys] of byBucket) {
      for (let i = 0; i < keys.length; i += 1000) {
        const result = await this.s3.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true },
          }),
        );
        const failed = result.Errors?.[0];
        if (failed) throw new Error(`could not delete s3://${bucket}/${failed.Key}: ${failed.Message}`);
      }
    }
  }

  destroy(): void {
    this.s3.destroy();
  }
}

/** `s3://bucket/key`; `s3a://` and `s3n://` (Hadoop spellings of the same object) are accepted too. */
export function parseS3Path(path: string): { bucket: string; key: string } {
  const match = /^s3[an]?:\/\/([^/]+)\/?(.*)$/.exec(path);
  if (!match) throw new Error(`${path} is not an s3:// path`);
  return { bucket: match[1] as string, key: match[2] as string };
}

/** The canonical spelling of an object path, so paths written by different clients compare equal. */
export function normalizeS3Path(path: string): string {
  const { bucket, key } = parseS3Path(path);
  return `s3://${bucket}/${key.replace(/\/{2,}/g, '/')}`;
}
