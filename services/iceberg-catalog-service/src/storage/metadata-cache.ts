/**
 * Metadata files by location, most recently used last, bounded by entries and by the size of
 * their JSON: a table with thousands of snapshots has a metadata file of several MiB, so a bound
 * on entries alone could hold gigabytes. Files never change once written, so entries are never
 * stale; callers get their own copy.
 */
export class MetadataCache {
  private readonly entries = new Map<string, { metadata: object; bytes: number }>();
  private bytes = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  get<T extends object>(location: string): T | undefined {
    const entry = this.entries.get(location);
    if (!entry) return undefined;
    this.entries.delete(location);
    this.entries.set(location, entry);
    return structuredClone(entry.metadata) as T;
  }

  /** Keeps a copy; `bytes` is the size of the file's JSON. A file larger than the bound is not kept. */
  set(location: string, metadata: object, bytes: number): void {
    this.delete(location);
    if (bytes > this.maxBytes) return;
    this.entries.set(location, { metadata: structuredClone(metadata), bytes });
    this.bytes += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.bytes;
    }
  }

  delete(location: string): void {
    const entry = this.entries.get(location);
    if (!entry) return;
    this.entries.delete(location);
    this.bytes -= entry.bytes;
  }

  /** Forgets every file whose location starts with `prefix`. */
  deletePrefix(prefix: string): void {
    for (const location of [...this.entries.keys()]) if (location.startsWith(prefix)) this.delete(location);
  }
}
