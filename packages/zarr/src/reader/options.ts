import type { OpenOptions } from '@bfio/core';

/** Options of the Zarr reader beyond the common OpenOptions. */
export interface ZarrOpenOptions extends OpenOptions {
  /** Bytes of decoded chunks kept for later reads (default 128 MiB; 0 disables the cache). */
  chunkCacheBytes?: number;
}
