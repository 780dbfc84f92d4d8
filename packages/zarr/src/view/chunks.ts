/**
 * Chunks of a store view, computed on demand: one `readRegion` of the source per chunk (a plane's tile of one
 * t, c, z), padded to the full chunk shape with the fill value (Zarr chunks are always whole), encoded, and
 * kept in a bytes-bounded LRU cache that also makes concurrent requests for one chunk share one read.
 */
import { copyBlock } from '@bfio/codecs';
import { allocate, type BioReader, type DType, type TypedArray } from '@bfio/core';
import { Limiter, type Region } from '@bfio/core/backend';
import { cores } from '#platform';
import { ChunkCache, type DecodedChunk } from '../chunk-cache.js';
import type { Vec5 } from '../store-layout.js';
import type { Encode } from './encode.js';
import type { ViewArray } from './layout.js';

export class ViewChunks {
  readonly cache: ChunkCache;
  /** Bounds source reads in flight (each holds up to one chunk of memory). */
  private readonly limiter = new Limiter(Math.max(2, cores()));

  constructor(
    private readonly reader: BioReader,
    private readonly encoderFor: (dtype: DType) => Encode,
    cacheBytes: number,
    private readonly signal: AbortSignal,
  ) {
    this.cache = new ChunkCache(cacheBytes);
  }

  /** The encoded chunk at `coords` of `array`. */
  async get(array: ViewArray, coords: Vec5): Promise<Uint8Array> {
    const key = `${array.series}/${array.level}/${coords.join('/')}`;
    const entry = await this.cache.acquire(key, async () => {
      const data = await this.limiter.run(() => this.compute(array, coords));
      return { data, shape: [data.byteLength], stride: [1] } satisfies DecodedChunk;
    });
    try {
      return (entry.chunk as DecodedChunk).data as Uint8Array;
    } finally {
      this.cache.release(entry);
    }
  }

  private async compute(array: ViewArray, coords: Vec5): Promise<Uint8Array> {
    this.signal.throwIfAborted();
    const [t, c, z, cy, cx] = coords;
    const [, , , ch, cw] = array.chunks;
    const [, , , sy, sx] = array.shape;
    const y0 = cy * ch;
    const x0 = cx * cw;
    const ny = Math.min(ch, sy - y0);
    const nx = Math.min(cw, sx - x0);
    const region: Region = { x: [x0, x0 + nx], y: [y0, y0 + ny], z: [z, z + 1], c: [c], t: [t] };
    // The fill value is 0: a fresh array is the padded chunk.
    const chunk = allocate(array.dtype, ch * cw);
    if (ny === ch && nx === cw) {
      await this.read(array, region, chunk);
    } else {
      const part = allocate(array.dtype, ny * nx);
      await this.read(array, region, part);
      copyBlock(part as never, 0, [nx, 1], chunk as never, 0, [cw, 1], [ny, nx]);
    }
    return this.encoderFor(array.dtype)(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }

  /**
   * Reads from the series and level of `array`. BioReader reads its current selection, which it captures
   * synchronously when `readRegion` is called: select, call, restore, all before the first await, so
   * concurrent chunk reads of different levels (and the caller's own selection) do not disturb each other.
   */
  private read(array: ViewArray, region: Region, out: TypedArray): Promise<unknown> {
    const reader = this.reader;
    const saved = { series: reader.series, level: reader.level };
    try {
      if (reader.series !== array.series) reader.series = array.series;
      if (reader.level !== array.level) reader.level = array.level;
      return reader.readRegion(region, { out, squeeze: false, signal: this.signal });
    } finally {
      if (reader.series !== saved.series) reader.series = saved.series;
      if (reader.level !== saved.level) reader.level = saved.level;
    }
  }
}
