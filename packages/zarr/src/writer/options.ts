import type { CreateOptions } from '@bfio/core';

/** Options of the Zarr writer beyond the common CreateOptions. */
export interface ZarrCreateOptions extends CreateOptions {
  /** '0.5' (Zarr v3, default) or '0.4' (Zarr v2). */
  ngffVersion?: '0.4' | '0.5';
  /** Chunk shape in t,c,z,y,x (default 1,1,1,1024,1024; `tileSize` sets y,x). */
  chunks?: [number, number, number, number, number];
  /** Write into an existing store (bfio's append mode); created when missing. */
  append?: boolean;
  /**
   * Zarr v3 (NGFF 0.5) only: shard shape in t,c,z,y,x, a multiple of `chunks` on every axis. Each shard is one
   * file holding its chunks (`sharding_indexed`), so a 100k² image is a few hundred files, not tens of
   * thousands. Needs zstd or no compression. Shards are written as their chunks arrive (shard.ts).
   */
  shards?: [number, number, number, number, number];
  /**
   * Write chunks only, into a store shared with other tasks (`bfio convert --part i/N`): no metadata, no
   * check that the target is new; each finished chunk or shard file is moved into the store atomically.
   * The caller writes whole blocks aligned to (chunk × 2^pyramidLevels) in Y/X, so no chunk is shared.
   */
  part?: boolean;
  /**
   * With `part`: this writer's level 0 is the store's level `firstLevel`, given as the source of the levels
   * after it, and not stored (how `bfio finalize` builds the pyramid levels that parts could not).
   */
  firstLevel?: number;
  /** With `firstLevel`: level 0 is stored too (false: it is the source, read back from the store). */
  storeFirstLevel?: boolean;
}
