import type { OpenOptions } from '@bfio/core';

/** Options of the Zarr reader beyond the common OpenOptions. */
export interface ZarrOpenOptions extends OpenOptions {
  /**
   * Bytes of decoded chunks kept for later reads (default 128 MiB; 0 disables the cache). Without a cache a
   * chunk a read only partly covers is decoded only as far as the rows the read takes: cheaper for windows
   * that rarely overlap (random patches), dearer for overlapping windows in raster order.
   */
  chunkCacheBytes?: number;
}
