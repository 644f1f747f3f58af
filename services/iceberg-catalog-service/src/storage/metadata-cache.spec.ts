import { describe, expect, it } from 'vitest';
import { MetadataCache } from './metadata-cache.ts';

describe(MetadataCache.name, () => {
  it('hands out copies, so a caller changing its metadata does not change the cache', () => {
    const cache = new MetadataCache(10, 1_000);
    cache.set('s3://w/a', { snapshots: [1] }, 10);
    const copy = cache.get<{ snapshots: number[] }>('s3://w/a');
    copy?.snapshots.push(2);
    expect(cache.get('s3://w/a')).toEqual({ snapshots: [1] });
  });

  it('lets the least recently used files go when their JSON exceeds the byte bound', () => {
    const cache = new MetadataCache(10, 100);
    cache.set('s3://w/a', { n: 'a' }, 40);
    cache.set('s3://w/b', { n: 'b' }, 40);
    cache.get('s3://w/a');
    cache.set('s3://w/c', { n: 'c' }, 40);
    expect(cache.get('s3://w/b')).toBeUndefined();
    expect(cache.get('s3://w/a')).toEqual({ n: 'a' });
    expect(cache.get('s3://w/c')).toEqual({ n: 'c' });
    expect(cache.totalBytes).toBe(80);
  });

  it('bounds the number of files too, and never keeps one larger than the whole bound', () => {
    const cache = new MetadataCache(2, 1_000);
    cache.set('s3://w/a', {}, 1);
    cache.set('s3://w/b', {}, 1);
    cache.set('s3://w/c', {}, 1);
    expect(cache.size).toBe(2);
    expect(cache.get('s3://w/a')).toBeUndefined();
    cache.set('s3://w/huge', {}, 5_000);
    expect(cache.get('s3://w/huge')).toBeUndefined();
    expect(cache.totalBytes).toBe(2);
  });

  it('forgets a purged table by its location prefix', () => {
    const cache = new MetadataCache(10, 1_000);
    cache.set('s3://w/acme/t-1/metadata/00000.json', {}, 5);
    cache.set('s3://w/acme/t-2/metadata/00000.json', {}, 5);
    cache.deletePrefix('s3://w/acme/t-1/');
    expect(cache.size).toBe(1);
    expect(cache.totalBytes).toBe(5);
  });
});
