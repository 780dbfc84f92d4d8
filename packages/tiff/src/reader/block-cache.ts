/**
 * A bytes-bounded LRU cache of decoded blocks (tiles/strips), so that overlapping window reads (random
 * windows, tile iterators with overlap) decode each block once. Also the limiter that caps how many blocks
 * a reader decodes at once (its `maxWorkers`).
 */
import type { TypedArray } from '@bfio/core';

/**
 * Default size of a reader's decoded-block cache: 128 tiles of 1024² uint16. Measured on 500 random 1024²
 * windows of a 16384² image (bench/tiff.ts): 128 MiB keeps ~25% of the 256 tiles, 256 MiB ~50%, and only
 * partly-read blocks are ever kept, so full reads and tile-aligned copies do not grow it.
 */
export const DEFAULT_CACHE_BYTES = 256 * 1024 * 1024;

export class BlockCache {
  private readonly entries = new Map<string, TypedArray>();
  private bytes = 0;

  constructor(readonly maxBytes: number) {}

  get size(): number {
    return this.bytes;
  }

  get(key: string): TypedArray | undefined {
    const v = this.entries.get(key);
    if (v) {
      // Map iteration order is insertion order: re-inserting makes this the most recently used.
      this.entries.delete(key);
      this.entries.set(key, v);
    }
    return v;
  }

  set(key: string, value: TypedArray): void {
    if (value.byteLength > this.maxBytes) return;
    const old = this.entries.get(key);
    if (old) {
      this.bytes -= old.byteLength;
      this.entries.delete(key);
    }
    this.entries.set(key, value);
    this.bytes += value.byteLength;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= v.byteLength;
    }
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}
