/**
 * Reading OME-Zarr (NGFF 0.1–0.5, Zarr v2 and v3, bioformats2raw and plate layouts, bare arrays) through
 * zarrita. Opening is open.ts; here the reads: the chunks a region touches (region-blocks.ts) are decoded
 * on the codec workers where they can be (direct-chunks.ts), else by zarrita, through a shared cache, and
 * copied into the caller's planar T,C,Z,Y,X buffer, whatever the store's axis order.
 */
import { CodecError, implementation, onSharedMemory } from '@bfio/codecs';
import { ClosedError, CorruptFileError, IoError, isBfioError, type TypedArray } from '@bfio/core';
import {
  asIoError,
  type ReaderBackend,
  type Region,
  regionLength,
  type SelectedImage,
  type SeriesInfo,
  systemErrorCode,
} from '@bfio/core/backend';
import type { OME } from '@bfio/ome-xml';
import { cores, WORKERS_FETCH, WORKERS_SHARE_FILES } from '#platform';
import { ChunkCache, type ChunkEntry, DEFAULT_CHUNK_CACHE_BYTES, type DecodedChunk } from '../chunk-cache.js';
import { CodecPool, PoolUnavailable } from '../codec-pool.js';
import {
  absentChunk,
  chunkLocation,
  type DirectChunks,
  fetchChunk,
  loadDirect,
  type ShardRun,
  shardRuns,
  workerRequest,
} from '../direct-chunks.js';
import { copyStrided } from './copy-strided.js';
import { folderIdentity } from './identity.js';
import { type OpenedZarr, openZarr } from './open.js';
import type { ZarrOpenOptions } from './options.js';
import { combineBlocks, type RegionBlocks, regionBlocks, type Vec5 } from './region-blocks.js';
import type { Level, Series } from './series.js';

/** Spare chunk buffers kept per size for reuse. */
const MAX_SPARE = 8;

/**
 * The most decoded bytes one worker task reads from a shard (a run of its chunks, see `shardRuns`). 8 MiB
 * rather than 32: a batch of `BioReader.blocks` (a 256³ shard of 64³ chunks) then keeps both workers busy
 * from its start (4 tasks, not 1), and a worker reads 4 MiB of compressed run at a time instead of 17.
 * Measured, 3 alternating pairs: 64³ blocks of a 1024³ uint16 store 1.39–1.45 s against 1.48–1.66 s, peak
 * RSS 250–254 against 276–293 MiB; reads of the whole volume and of 256³ shards unchanged.
 */
const RUN_BYTES = 8 * 2 ** 20;

export class ZarrReader implements ReaderBackend {
  readonly format: string;
  readonly metadata: OME;
  readonly series: readonly SeriesInfo[];
  readonly details: Readonly<Record<string, unknown>>;
  private readonly all: Series[];
  private closed = false;
  /** Decoded chunks, shared by all series and levels of this reader. */
  private readonly cache: ChunkCache;
  /** Direct chunk reads on @bfio/core's shared worker pool (undefined: zarrita on this thread). */
  private readonly pool: CodecPool | undefined;
  /** Chunks decoded at once per readRegion (the codec workers' queue depth). */
  private readonly lanes: number;
  /** Memory of dropped chunks, by size, to decode the next chunks into. */
  private readonly spare = new Map<number, ArrayBuffer[]>();
  /** A local store's root folder and its identity at open (see `checkUnchanged`). */
  private readonly identity: { root: string; id: string } | undefined;

  private constructor(
    private readonly file: string,
    opened: OpenedZarr,
    options: ZarrOpenOptions,
  ) {
    const cacheBytes = options.chunkCacheBytes ?? DEFAULT_CHUNK_CACHE_BYTES;
    this.cache = new ChunkCache(Number.isFinite(cacheBytes) && cacheBytes > 0 ? cacheBytes : 0, (chunk) =>
      this.recycle(chunk),
    );
    const workers = options.maxWorkers ?? cores();
    // Where the workers fetch remote chunks themselves, a chunk waits on the network first: keep more in
    // flight, so the next requests are queued while the workers decode (as TIFF's remote reads do).
    const fetching = WORKERS_FETCH && /^https?:\/\//i.test(file);
    this.lanes = fetching ? Math.max(16, 4 * workers) : Math.max(2, 2 * workers + 2);
    // Workers read a local store's files themselves, but not a page's in-memory files (a browser's local
    // stores): those chunks are read and decoded on this thread.
    this.pool = opened.identity && !WORKERS_SHARE_FILES ? undefined : CodecPool.get(options.maxWorkers);
    // Workers take a while to start (each loads the codec module and its addons): start them now, while the
    // caller looks at the metadata, when the store's chunks are ones they read.
    // Not when local chunks are read on the chunk lane's threads: no worker is needed then.
    const remote = /^https?:\/\//i.test(file);
    if (opened.series.some((s) => s.levels.some((l) => l.direct)) && (remote || !this.pool?.readsOnLane))
      this.pool?.warm();
    this.format = opened.format;
    this.metadata = opened.metadata;
    this.all = opened.series;
    this.series = opened.series.map((s) => s.info);
    this.details = opened.details;
    this.identity = opened.identity;
  }

  static async open(file: string, options: ZarrOpenOptions = {}): Promise<ZarrReader> {
    // A worker takes ~30 ms to boot and ~20 ms more to load the codecs, on cores the metadata parse also
    // wants: start them before the parse (10–20 ms for an OME-Zarr), not after it, where the stores are
    // ones they read (the constructor's warm then finds them started).
    const remote = /^https?:\/\//i.test(file);
    const early = WORKERS_SHARE_FILES || remote ? CodecPool.get(options.maxWorkers) : undefined;
    if (early && (remote || !early.readsOnLane)) early.warm();
    return new ZarrReader(file, await openZarr(file, options), options);
  }

  async readRegion(
    selection: SelectedImage,
    region: Region,
    out: TypedArray,
    signal?: AbortSignal,
  ): Promise<void> {
    const level = this.levelOf(selection);
    await this.readBlocks(selection, level, regionBlocks(level.array, level.axisOf, region), out, signal);
  }

  /**
   * Several regions of one shape back to back in `out` (BioReader.blocks' batches): one read, whose chunks
   * (a shard's stored back to back: one worker task each run) are placed into every region that uses them.
   */
  async readRegions(
    selection: SelectedImage,
    regions: readonly Region[],
    out: TypedArray,
    signal?: AbortSignal,
  ): Promise<void> {
    const level = this.levelOf(selection);
    const length = regions.length > 0 ? regionLength(regions[0]!) : 0;
    const shape = (r: Region) =>
      `${r.x[1] - r.x[0]},${r.y[1] - r.y[0]},${r.z[1] - r.z[0]},${r.c.length},${r.t.length}`;
    const first = regions[0] ? shape(regions[0]) : '';
    if (regions.some((r) => shape(r) !== first) || out.length !== length * regions.length)
      throw new RangeError(
        `readRegions: ${regions.length} regions of one shape need ${length} elements each`,
      );
    const each = regions.map((r) => regionBlocks(level.array, level.axisOf, r));
    await this.readBlocks(selection, level, combineBlocks(each, length), out, signal);
  }

  private levelOf(selection: SelectedImage): Level {
    if (this.closed) throw new ClosedError('BioReader', this.file);
    const series = this.all[selection.series];
    const level = series?.levels[selection.level];
    if (!series || !level) {
      throw new CorruptFileError(this.file, `no series ${selection.series} level ${selection.level}`);
    }
    return level;
  }

  /** Reads the chunks of `blocks` and places their pixels into `out` (one region, or several: `combineBlocks`). */
  private async readBlocks(
    selection: SelectedImage,
    level: Level,
    blocks: RegionBlocks,
    out: TypedArray,
    signal?: AbortSignal,
  ): Promise<void> {
    const { array } = level;
    const { chunkIds, outStride } = blocks;
    const prefix = `${selection.series}/${selection.level}/`;
    const onError = (coords: number[]) => this.decodeFailure(level, coords);
    const chunkElements = (array.chunks as number[]).reduce((a, b) => a * b, 1);
    const viaZarrita = async (coords: number[]) => {
      const chunk = (await array.getChunk(coords, { signal })) as DecodedChunk;
      // zarrita views whatever a codec returns as the chunk: a stream that decodes to another size (a wrong
      // or damaged chunk) would read as cut or zero-padded pixels. zarr-python refuses it; so do we.
      const n = (chunk.data as { length: number }).length;
      if (n !== chunkElements)
        throw new Error(`the chunk decodes to ${n} elements, ${chunkElements} expected`);
      return chunk;
    };
    const { direct } = level;
    const load = (coords: number[]): Promise<DecodedChunk> => {
      const pool = direct ? this.pool : undefined;
      if (!pool || !direct) return viaZarrita(coords);
      return loadDirect(pool, direct, coords, (bytes) => this.takeSpare(bytes)).catch((err: unknown) => {
        if (err instanceof PoolUnavailable) return viaZarrita(coords);
        throw err;
      });
    };
    const fetch = (coords: number[]): Promise<ChunkEntry> =>
      this.cache.acquire(prefix + coords.join(','), () => load(coords)).catch(onError(coords));
    const place = (coords: number[], chunk: DecodedChunk) =>
      blocks.blocksOf(coords, chunk.stride, (src, dst, counts, stride) =>
        copyStrided(chunk.data, src, stride, out, dst, outStride, counts),
      );
    // A shared output (BioReader's default for large reads) lets the codec workers place the pixels of
    // direct chunks themselves: no decoded chunk crosses threads and the main thread copies nothing. The
    // chunk lane (threads of this process, its memory) places into any output of a local store: a read
    // of one 64³ chunk then decodes straight into its result, with no decoded chunk to allocate and copy.
    const placeable = onSharedMemory(out) || (this.pool?.readsOnLane === true && !direct?.remote);
    const target =
      this.pool && direct && out instanceof direct.Ctor && placeable
        ? new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
        : undefined;
    /**
     * Whether chunk `coords` goes to a worker that places it: not when it is cached or being decoded, and,
     * while caching, only when the region uses all of it (a chunk only partly used is the one a
     * neighbouring window will want again, so it goes through the cache).
     */
    const placedByWorker = (coords: number[]): boolean => {
      if (!target || this.cache.has(prefix + coords.join(','))) return false;
      return this.cache.maxBytes === 0 || blocks.coversChunk(coords);
    };
    const worker = target && direct && this.pool && { target, plan: direct, pool: this.pool, blocks, signal };
    const one = async (coords: number[]) => {
      signal?.throwIfAborted();
      if (worker && placedByWorker(coords)) {
        const done = await placeOnWorker(worker, coords, place).catch(onError(coords));
        if (done) return;
      }
      const entry = await fetch(coords);
      try {
        place(coords, entry.chunk as DecodedChunk);
      } finally {
        this.cache.release(entry);
      }
    };
    const work = worker ? await shardWork(worker, chunkIds, placedByWorker) : chunkIds;
    // Decode a bounded number of chunks (or runs of a shard's chunks) at a time; each is placed on arrival.
    let next = 0;
    const lane = async () => {
      while (next < work.length) {
        const item = work[next++] as number[] | ShardRun;
        if (Array.isArray(item)) {
          await one(item);
          continue;
        }
        signal?.throwIfAborted();
        // A run that fails (a damaged chunk in it, a worker gone) is read again chunk by chunk, so the error
        // names the chunk, as without runs.
        if (await placeRunOnWorker(worker!, item).catch(() => false)) continue;
        for (const coords of item.chunks) await one(coords);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.lanes, work.length) }, lane));
    await this.checkUnchanged();
  }

  /**
   * Writers replace a store by renaming a new folder into its place, and chunks are read by path: a read
   * overlapping the swap would mix the two images (or, between the renames, read fill values). One stat
   * after each read notices it, so a read is all of the image opened, or an error saying to open it again.
   */
  private async checkUnchanged(): Promise<void> {
    if (this.identity && (await folderIdentity(this.identity.root)) !== this.identity.id)
      throw new IoError(this.file, 'read', 'ESTALE');
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cache.clear();
    this.spare.clear();
  }

  /** Keeps a dropped chunk's memory for a later decode (a few buffers per size). */
  private recycle(chunk: DecodedChunk): void {
    const data = chunk.data as { buffer?: unknown; byteOffset?: number; byteLength?: number };
    const buffer = data.buffer;
    if (!(buffer instanceof ArrayBuffer) || data.byteOffset !== 0 || buffer.byteLength !== data.byteLength)
      return;
    if (buffer.byteLength < 65536 || this.closed) return;
    const list = this.spare.get(buffer.byteLength) ?? [];
    if (list.length >= MAX_SPARE) return;
    list.push(buffer);
    this.spare.set(buffer.byteLength, list);
  }

  private takeSpare(bytes: number): ArrayBuffer | undefined {
    return this.spare.get(bytes)?.pop();
  }

  /**
   * Turns a chunk's codec/store failure into a CorruptFileError naming the store, the chunk's key and, inside
   * a shard, its byte offset (aborts, network failures and errors already typed pass through).
   */
  private decodeFailure(level: Level, coords: number[]): (err: unknown) => Promise<never> {
    return async (err) => {
      if ((err as { name?: string } | null)?.name === 'AbortError') throw err;
      if (isBfioError(err)) throw err; // network, missing chunk (strict), or already named
      // The disk failing under the store is not damage to the store.
      if (systemErrorCode(err)) throw asIoError(err, this.file, 'read');
      let offset: number | undefined;
      if (level.direct?.shard) {
        const where = await chunkLocation(level.direct, coords).catch(() => undefined);
        offset = where?.range?.[0];
      }
      throw new CorruptFileError(
        this.file,
        `${level.chunkName(coords)} cannot be decoded (${errorText(err)}); the store is damaged: restore that object from a good copy`,
        offset,
        err,
      );
    };
  }
}

/** A read whose chunks the codec workers place straight into a shared output. */
interface WorkerPlacement {
  target: Uint8Array;
  plan: DirectChunks;
  pool: CodecPool;
  blocks: RegionBlocks;
  signal?: AbortSignal;
}

/**
 * Has a worker read, decode and place chunk `coords`; false when the pool cannot (the caller does it on this
 * thread). An absent chunk is filled here with the fill value.
 */
async function placeOnWorker(
  { target, plan, pool, blocks, signal }: WorkerPlacement,
  coords: number[],
  place: (coords: number[], chunk: DecodedChunk) => void,
): Promise<boolean> {
  const list: number[] = [];
  let srcStride: Vec5 = [0, 0, 0, 0, 0];
  blocks.blocksOf(coords, plan.stride, (src, dst, counts, stride) => {
    list.push(src, dst, ...counts);
    srcStride = stride;
  });
  const bytes = plan.Ctor.BYTES_PER_ELEMENT;
  const placement = { target, bytes, srcStride, dstStride: blocks.outStride, blocks: list };
  let placed: boolean;
  try {
    const where = await chunkLocation(plan, coords);
    if (plan.remote) {
      // In a browser the worker fetches the chunk itself, so the page's main thread only dispatches. A
      // missing object is the fill value; any other failure (a request, a chunk that does not decode) is
      // left to the main-thread fetch below, which retries and names the chunk in its error.
      const request = WORKERS_FETCH && where ? workerRequest(where) : undefined;
      if (request) {
        try {
          await pool.fetchChunk(request, plan.codec, plan.elements * bytes, placement, signal);
          return true;
        } catch (err) {
          if (err instanceof CodecError && err.code === 'ENOENT') {
            place(coords, absentChunk(plan, coords));
            return true;
          }
          if (err instanceof PoolUnavailable || signal?.aborted) throw err;
        }
      }
      const raw = where && (await fetchChunk(where));
      if (raw) await pool.decodeChunk(raw, plan.codec, plan.elements * bytes, placement, signal);
      else place(coords, absentChunk(plan, coords));
      return true;
    }
    placed =
      where !== undefined &&
      (await pool.placeChunk(where.path, plan.codec, plan.elements * bytes, placement, signal, where.range));
  } catch (err) {
    if (err instanceof PoolUnavailable) return false;
    throw err;
  }
  if (!placed) place(coords, absentChunk(plan, coords));
  return true;
}

/**
 * A local sharded array's chunks that workers place, in runs stored back to back (one task each), then the
 * other chunks; any other read: its chunks as they are.
 */
async function shardWork(
  { plan }: WorkerPlacement,
  chunkIds: number[][],
  placedByWorker: (coords: number[]) => boolean,
): Promise<Array<number[] | ShardRun>> {
  // Runs decode as one zstd call over several frames: libzstd's (the WASM decoder takes one frame).
  if (!plan.shard || plan.remote || (plan.codec === 'zstd' && implementation('zstd-decode') !== 'native'))
    return chunkIds;
  // An index that cannot be read is left to the chunk-by-chunk path, which names the chunk in its error.
  const grouped = await shardRuns(plan, chunkIds.filter(placedByWorker), RUN_BYTES).catch(() => undefined);
  if (!grouped || grouped.runs.length === 0) return chunkIds;
  const inRun = new Set(grouped.runs.flatMap((r) => r.chunks));
  return [...grouped.runs, ...chunkIds.filter((c) => !inRun.has(c))];
}

/** Has a worker read a run of a shard's chunks with one read, decode them and place each; false if it cannot. */
async function placeRunOnWorker(
  { target, plan, pool, blocks, signal }: WorkerPlacement,
  run: ShardRun,
): Promise<boolean> {
  const list: number[] = [];
  let srcStride: Vec5 = [0, 0, 0, 0, 0];
  run.chunks.forEach((coords, k) => {
    blocks.blocksOf(coords, plan.stride, (src, dst, counts, stride) => {
      list.push(src + k * plan.elements, dst, ...counts);
      srcStride = stride;
    });
  });
  const bytes = plan.Ctor.BYTES_PER_ELEMENT;
  // Chunk by chunk on the worker (`frames`): a 32 MiB run is never decoded whole into its memory.
  const placement = {
    target,
    bytes,
    srcStride,
    dstStride: blocks.outStride,
    blocks: list,
    frames: run.lengths,
  };
  const size = run.chunks.length * plan.elements * bytes;
  return pool.placeChunk(run.path, plan.codec, size, placement, signal, run.range);
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
