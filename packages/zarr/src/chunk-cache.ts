/**
 * A bytes-bounded LRU cache of decoded chunks, per reader. Window reads (viewers, tile pipelines) touch
 * the same chunks again and again; decoding each one once is the biggest saving there. Concurrent requests
 * for one chunk share a single decode. A budget of 0 disables caching (in-flight sharing stays).
 *
 * Chunks are pinned while a reader copies from them; a chunk that is dropped (evicted, or never cached)
 * and unpinned is handed to `recycle`, so its memory can be reused for the next decode instead of being
 * left to the garbage collector (fresh multi-MiB buffers per chunk make V8 collect constantly).
 */

/** A decoded chunk as zarrita returns it: data with its shape and element strides. */
export interface DecodedChunk {
  data: ArrayLike<unknown>;
  shape: number[];
  stride: number[];
}

/** Default budget: 128 MiB of decoded chunks. */
export const DEFAULT_CHUNK_CACHE_BYTES = 128 * 2 ** 20;

/** A cached (or in-flight) chunk and how many readers hold it. */
export interface ChunkEntry {
  readonly key: string;
  chunk?: DecodedChunk;
  pins: number;
  /** True once the cache no longer holds it: the last release recycles it. */
  dropped: boolean;
  loading?: Promise<ChunkEntry>;
}

function sizeOf(chunk: DecodedChunk): number {
  const bytes = (chunk.data as { byteLength?: unknown }).byteLength;
  return typeof bytes === 'number' ? bytes : chunk.data.length * 8;
}

export class ChunkCache {
  private readonly entries = new Map<string, ChunkEntry>();
  private readonly inflight = new Map<string, ChunkEntry>();
  private used = 0;

  constructor(
    readonly maxBytes: number,
    private readonly recycle: (chunk: DecodedChunk) => void = () => {},
  ) {}

  /** Bytes held now. */
  get bytes(): number {
    return this.used;
  }

  /** Whether `key` is cached or being decoded (an `acquire` would not decode it again). */
  has(key: string): boolean {
    return this.entries.has(key) || this.inflight.has(key);
  }

  /**
   * The chunk under `key`, pinned: decoded by `load` only when neither cached nor already being decoded.
   * Every acquire must be followed by one `release` of the entry (also when it rejects: nothing to do).
   */
  acquire(key: string, load: () => Promise<DecodedChunk>): Promise<ChunkEntry> {
    const hit = this.entries.get(key);
    if (hit) {
      // Most recently used goes last.
      this.entries.delete(key);
      this.entries.set(key, hit);
      hit.pins++;
      return Promise.resolve(hit);
    }
    const pending = this.inflight.get(key);
    if (pending?.loading) {
      pending.pins++;
      return pending.loading;
    }
    const entry: ChunkEntry = { key, pins: 1, dropped: false };
    entry.loading = load().then(
      (chunk) => {
        entry.chunk = chunk;
        entry.loading = undefined;
        this.inflight.delete(key);
        this.put(entry);
        return entry;
      },
      (err: unknown) => {
        this.inflight.delete(key);
        throw err;
      },
    );
    this.inflight.set(key, entry);
    return entry.loading;
  }

  /** Unpins a chunk got from `acquire`. */
  release(entry: ChunkEntry): void {
    entry.pins--;
    if (entry.pins === 0 && entry.dropped && entry.chunk) this.recycle(entry.chunk);
  }

  clear(): void {
    for (const entry of this.entries.values()) entry.dropped = true;
    this.entries.clear();
    this.used = 0;
  }

  private put(entry: ChunkEntry): void {
    const chunk = entry.chunk as DecodedChunk;
    const size = sizeOf(chunk);
    if (size > this.maxBytes) {
      entry.dropped = true;
      return;
    }
    this.entries.set(entry.key, entry);
    this.used += size;
    for (const [k, old] of this.entries) {
      if (this.used <= this.maxBytes) break;
      this.entries.delete(k);
      this.used -= sizeOf(old.chunk as DecodedChunk);
      old.dropped = true;
      if (old.pins === 0) this.recycle(old.chunk as DecodedChunk);
    }
  }
}
