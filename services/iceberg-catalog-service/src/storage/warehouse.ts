import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { InjectConfig } from '@openfoundry/service-kit';
import { BadRequestError, NotFoundError } from '../catalog.errors.ts';
import type { CatalogConfig } from '../config.ts';
import { parseJson, stringifyJson } from '../json/lossless-json.ts';
import type { TableMetadata } from '../metadata/table-metadata.ts';
import { MetadataCache } from './metadata-cache.ts';

// Metadata files never change once written, so a file read once can be served from memory.
const CACHE_ENTRIES = 512;
const CACHE_BYTES = 64 * 1024 * 1024;

export interface S3Location {
  bucket: string;
  key: string;
}

export function parseS3Location(location: string): S3Location {
  const match = /^s3a?:\/\/([^/]+)\/?(.*)$/.exec(location);
  if (!match?.[1]) throw new BadRequestError(`Not an s3:// location: ${location}`);
  return { bucket: match[1], key: match[2] ?? '' };
}

/** The S3 warehouse: table metadata files in, out and (on purge) gone. */
@Injectable()
export class Warehouse implements OnModuleDestroy {
  private readonly s3: S3Client;
  private readonly cache = new MetadataCache(CACHE_ENTRIES, CACHE_BYTES);
  readonly bucket: string;

  constructor(@InjectConfig() config: CatalogConfig) {
    this.bucket = config.OPENFOUNDRY_S3_WAREHOUSE_BUCKET;
    this.s3 = new S3Client({
      endpoint: config.OPENFOUNDRY_S3_ENDPOINT,
      region: config.OPENFOUNDRY_S3_REGION,
      forcePathStyle: true,
      credentials: {
        accessKeyId: config.OPENFOUNDRY_S3_ACCESS_KEY,
        secretAccessKey: config.OPENFOUNDRY_S3_SECRET_KEY,
      },
    });
  }

  onModuleDestroy(): void {
    this.s3.destroy();
  }

  /** Readiness: the warehouse bucket answers. */
  async ping(): Promise<void> {
    await this.s3.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }

  /** `s3://<bucket>/<path>` for a path inside the warehouse. */
  url(path: string): string {
    return `s3://${this.bucket}/${path}`;
  }

  /** Writes a table or view metadata file; a file of that name must not exist yet. */
  async writeMetadata(location: string, metadata: object): Promise<void> {
    const { bucket, key } = parseS3Location(location);
    const body = stringifyJson(metadata);
    await this.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: 'application/json',
        // File names carry a fresh UUID; refusing to overwrite makes that a guarantee, not a hope.
        IfNoneMatch: '*',
      }),
    );
    this.cache.set(location, metadata, Buffer.byteLength(body));
  }

  async readMetadata<T extends object = TableMetadata>(location: string): Promise<T> {
    const cached = this.cache.get<T>(location);
    if (cached) return cached;
    const { bucket, key } = parseS3Location(location);
    let text: string;
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      text = (await object.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      if (error instanceof NoSuchKey) throw new NotFoundError(`Metadata file does not exist: ${location}`);
      throw error;
    }
    const metadata = parseJson(text);
    if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata))
      throw new BadRequestError(`Not a metadata file: ${location}`);
    this.cache.set(location, metadata, Buffer.byteLength(text));
    return structuredClone(metadata) as T;
  }

  /** Deletes the given files (each an `s3://` location); the ones already gone are no error. */
  async deleteFiles(locations: readonly string[]): Promise<void> {
    const byBucket = new Map<string, { Key: string }[]>();
    for (const location of locations) {
      const { bucket, key } = parseS3Location(location);
      byBucket.set(bucket, [...(byBucket.get(bucket) ?? []), { Key: key }]);
      this.cache.delete(location);
    }
    for (const [bucket, keys] of byBucket)
      for (let at = 0; at < keys.length; at += 1000)
        await this.s3.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: keys.slice(at, at + 1000), Quiet: true },
          }),
        );
  }

  /** Deletes every object under a table's location (purge); returns how many went. */
  async deletePrefix(location: string): Promise<number> {
    const { bucket, key } = parseS3Location(location);
    const prefix = key.endsWith('/') ? key : `${key}/`;
    let deleted = 0;
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
      if (keys.length) {
        await this.s3.send(
          new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }),
        );
        deleted += keys.length;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    this.cache.deletePrefix(`s3://${bucket}/${prefix}`);
    return deleted;
  }
}
