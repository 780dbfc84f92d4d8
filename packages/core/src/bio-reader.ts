/**
 * `BioReader`: one API over every backend, with bfio's semantics (X Y Z C T, shape in Y,X,Z,C,T order,
 * `read` with X/Y/Z ranges and C/T lists, a slice helper like `br[y, x, z, c, t]`).
 *
 * Differences from Python bfio, on purpose: `series` and `level` are separate selections (bfio's Java
 * backend mixes them up); validation throws typed errors instead of `assert`; reads may run concurrently.
 */

import { prefaulting } from '@bfio/codecs';
import type { Channel, Image, OME, Pixels, Quantity } from '@bfio/ome-xml';
import { env, fileURLToPath, resolve, totalmem } from '#platform';
import type { LevelInfo, OpenOptions, ReaderBackend, Region, SeriesInfo } from './backend.js';
import { isRemote, regionLength } from './backend.js';
import { type Block, type BlockOptions, iterateBlocks } from './block-iterator.js';
import { allocate, bytesPerPixel, type DType, dtypeOf, type TypedArray, viewAs } from './dtype.js';
import { ClosedError, CorruptFileError, InvalidDataError, OutOfRangeError } from './errors/index.js';
import { NDArray, planarStrides } from './ndarray.js';
import { type PlateLayout, plateLayout } from './plate.js';
import { type Extent, type ReadArgs, regionFromArgs, regionFromSlices, type SliceArg } from './region.js';
import { selectReadBackend } from './registry.js';
import { sharedMemory } from './shared-outputs.js';
import { iterateTiles, maximumBatchSize, type TileBatch, type TileOptions } from './tile-iterator.js';

export interface BioReaderOptions extends OpenOptions {
  /** Force a backend by name ('tiff', 'zarr', 'bioformats'; bfio's 'python'/'java'/'zarr3' also work). */
  backend?: string;
}

export interface ReadOptions {
  /** Apply bfio's squeeze rule (default true); false keeps all five axes. */
  squeeze?: boolean;
  /** Fill this array (planar T,C,Z,Y,X of the region, the image's dtype) instead of allocating one. */
  out?: TypedArray;
  /**
   * Allocate the result on a SharedArrayBuffer, so decode workers place pixels in it themselves (about 1.7×
   * faster full reads on 2 cores). Default: true for results of 4 MiB or more. Such arrays behave like any
   * typed array, but are shared (not copied) when posted to another thread, and TextDecoder/WebCrypto refuse
   * them: pass `shared: false` where that matters. Without SharedArrayBuffer (a web page that is not
   * cross-origin isolated) results are plain arrays.
   */
  shared?: boolean;
  /**
   * The most bytes one read may allocate (default: BFIO_MAX_READ_BYTES, else half of this machine's memory).
   * A larger region is a typed error telling to read by tiles, rather than an allocation that fails with
   * an anonymous RangeError or exhausts memory.
   */
  maxBytes?: number;
  signal?: AbortSignal;
}

/** Results this large go on a SharedArrayBuffer by default (see `ReadOptions.shared`). */
const SHARED_MIN_BYTES = 4 * 2 ** 20;

/** Half of the machine's memory, asked once: `os.totalmem()` reads /proc on every call (~3 µs per read). */
let halfMemory: number | undefined;

/** The default read budget: BFIO_MAX_READ_BYTES, else half of the machine's memory. */
function defaultMaxReadBytes(): number {
  const given = Number(env('BFIO_MAX_READ_BYTES'));
  if (Number.isFinite(given) && given > 0) return given;
  halfMemory ??= Math.floor(totalmem() / 2);
  return halfMemory;
}

/** The path (or URL, or a Blob's name) `BioReader.open` was given, and the Blob if it was one. */
function sourceOf(source: string | URL | Blob): { path: string; blob?: Blob } {
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    const name = (source as { name?: unknown }).name;
    return { path: typeof name === 'string' && name ? name : 'blob', blob: source };
  }
  if (source instanceof URL) {
    return { path: source.protocol === 'file:' ? fileURLToPath(source) : source.href };
  }
  if (typeof source !== 'string') {
    throw new InvalidDataError(
      `BioReader.open takes a path, a URL or a Blob/File, not ${Object.prototype.toString.call(source)}`,
    );
  }
  return { path: isRemote(source) ? source : resolve(source) };
}

const gib = (n: number) =>
  n < 2 ** 30 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${(n / 2 ** 30).toFixed(1)} GiB`;

export class BioReader {
  readonly path: string;
  readonly backendName: string;
  #backend: ReaderBackend;
  #series = 0;
  #level = 0;
  #closed = false;

  private constructor(path: string, backendName: string, backend: ReaderBackend) {
    this.path = path;
    this.backendName = backendName;
    this.#backend = backend;
  }

  /**
   * Opens an image with the backend that can read it (or the one forced with `backend`): a path, an http(s)
   * or object-store URL (a string or a `URL`; `file:` URLs are paths), or a `Blob`/`File` (a dropped file in
   * a browser, read by `Blob.slice`; its `name` picks the format and names it in messages).
   */
  static async open(source: string | URL | Blob, options: BioReaderOptions = {}): Promise<BioReader> {
    const { path: abs, blob } = sourceOf(source);
    const backend = await selectReadBackend(abs, options.backend, blob);
    const opened = await backend.open!(abs, { cleanMetadata: true, ...options, ...(blob ? { blob } : {}) });
    if (opened.series.length === 0) {
      await opened.close();
      throw new CorruptFileError(abs, `the ${backend.name} backend found no image in it (no series to read)`);
    }
    const reader = new BioReader(abs, backend.name, opened);
    try {
      if (options.series !== undefined) reader.series = options.series;
      if (options.level !== undefined) reader.level = options.level;
    } catch (err) {
      await opened.close();
      throw err;
    }
    return reader;
  }

  // ---- selection ---------------------------------------------------------------------------------

  get seriesCount(): number {
    return this.#backend.series.length;
  }

  /** The selected series (an OME Image). Setting it resets `level` to 0. */
  get series(): number {
    return this.#series;
  }

  set series(value: number) {
    this.#check();
    if (!Number.isInteger(value) || value < 0 || value >= this.seriesCount) {
      throw new OutOfRangeError('series', String(value), `0 to ${this.seriesCount - 1}`, { file: this.path });
    }
    this.#series = value;
    this.#level = 0;
  }

  /** The selected resolution level of the series (0 = full resolution). */
  get level(): number {
    return this.#level;
  }

  set level(value: number) {
    this.#check();
    const n = this.levelCount;
    if (!Number.isInteger(value) || value < 0 || value >= n) {
      throw new OutOfRangeError('level', String(value), `0 to ${n - 1} (this series has ${n} level(s))`, {
        file: this.path,
      });
    }
    this.#level = value;
  }

  get levelCount(): number {
    return this.#seriesInfo.levels.length;
  }

  /** Sizes of every level of the selected series. */
  get levels(): readonly LevelInfo[] {
    return this.#seriesInfo.levels;
  }

  /**
   * The file's multi-well plate (HCS), or undefined: rows, columns and, per well, its fields of view with the
   * series showing each (from the OME-XML Plate/Well/WellSample; for OME-Zarr plates without OME-XML, from
   * the NGFF plate and well metadata). Computed on each call.
   */
  get plate(): PlateLayout | undefined {
    const bySeries = new Map(this.#backend.series.map((s, i) => [s.imageIndex, i]));
    return plateLayout(this.#backend.metadata, (image) => bySeries.get(image));
  }

  get #seriesInfo(): SeriesInfo {
    return this.#backend.series[this.#series]!;
  }

  get #levelInfo(): LevelInfo {
    return this.#seriesInfo.levels[this.#level]!;
  }

  // ---- sizes and metadata ------------------------------------------------------------------------

  get X(): number {
    return this.#levelInfo.sizeX;
  }
  get Y(): number {
    return this.#levelInfo.sizeY;
  }
  get Z(): number {
    return this.#levelInfo.sizeZ;
  }
  get C(): number {
    return this.#levelInfo.sizeC;
  }
  get T(): number {
    return this.#levelInfo.sizeT;
  }

  /** (Y, X, Z, C, T), as bfio. */
  get shape(): [number, number, number, number, number] {
    return [this.Y, this.X, this.Z, this.C, this.T];
  }

  get dtype(): DType {
    return this.#seriesInfo.dtype;
  }

  get bytesPerPixel(): number {
    return bytesPerPixel(this.dtype);
  }

  /** Format name as the backend reports it ('OME-TIFF', 'OME-Zarr 0.5', 'Zeiss CZI', ...). */
  get format(): string {
    return this.#backend.format;
  }

  /** Backend-specific facts (compression, tile layout, ...). */
  get details(): Readonly<Record<string, unknown>> {
    return this.#backend.details ?? {};
  }

  /** The whole file's OME metadata (every series). */
  get metadata(): OME {
    return this.#backend.metadata;
  }

  /** The OME Image of the selected series. */
  get image(): Image {
    return this.#backend.metadata.images[this.#seriesInfo.imageIndex]!;
  }

  get #pixels(): Pixels {
    return this.image.pixels;
  }

  /** Native tile (or chunk/strip) size of the selected level, when the format has one. */
  get tileSize(): [number, number] | undefined {
    const { tileHeight, tileWidth } = this.#levelInfo;
    return tileHeight && tileWidth ? [tileHeight, tileWidth] : undefined;
  }

  /**
   * One name per channel (length C). Channels without a name get `''`, so indices always line up. An RGB
   * Channel element (SamplesPerPixel 3 or 4) is one OME channel of several samples, as Bio-Formats' OME-XML
   * and showinf describe it ("C1", RGB = true (3)); bfio counts each sample as a channel, so each is named
   * for the channel and its sample, "C1 (R)", "C1 (G)", "C1 (B)" (just "R", "G", "B" when unnamed), which
   * keeps names distinct through a conversion that stores the samples as separate channels.
   */
  get channelNames(): string[] {
    const names: string[] = [];
    // Bounded by C: a damaged SamplesPerPixel="1000000000" (or 20,000 Channel elements) would otherwise
    // build a name list as large as it claims.
    for (const channel of this.#pixels.channels as Channel[]) {
      const spp = Math.max(1, channel.samplesPerPixel ?? 1);
      const name = channel.name ?? '';
      for (let s = 0; s < spp && names.length < this.C; s++) {
        const sample = spp === 1 ? '' : spp === 3 || spp === 4 ? 'RGBA'[s]! : `sample ${s}`;
        names.push(!sample ? name : name ? `${name} (${sample})` : sample);
      }
      if (names.length >= this.C) break;
    }
    while (names.length < this.C) names.push('');
    return names.slice(0, this.C);
  }

  /**
   * Physical pixel sizes at the selected level: level 0's times the level's downsampling factor as the file
   * records it (NGFF scales), else times the size ratio of level 0 to this level.
   */
  get physicalSizeX(): Quantity | undefined {
    return this.#scaled(this.#pixels.physicalSizeX, 'x', this.#seriesInfo.levels[0]!.sizeX, this.X);
  }
  get physicalSizeY(): Quantity | undefined {
    return this.#scaled(this.#pixels.physicalSizeY, 'y', this.#seriesInfo.levels[0]!.sizeY, this.Y);
  }
  get physicalSizeZ(): Quantity | undefined {
    return this.#scaled(this.#pixels.physicalSizeZ, 'z', this.#seriesInfo.levels[0]!.sizeZ, this.Z);
  }

  #scaled(q: Quantity | undefined, axis: 'x' | 'y' | 'z', full: number, here: number): Quantity | undefined {
    if (!q) return undefined;
    const factor = this.#seriesInfo.levels[this.#level]?.downsample?.[axis] ?? full / here;
    return factor === 1 ? { ...q } : { value: q.value * factor, unit: q.unit };
  }

  /** Extent of the selected level, for region validation. */
  get extent(): Extent {
    return { X: this.X, Y: this.Y, Z: this.Z, C: this.C, T: this.T };
  }

  // ---- reading -----------------------------------------------------------------------------------

  /**
   * Reads a region: X, Y, Z as half-open `[start, end]` ranges (or one index), C and T as index lists
   * (or one index); omitted axes are read whole. Returns Y,X,Z,C,T squeezed by bfio's rule.
   */
  async read(args: ReadArgs = {}, options: ReadOptions = {}): Promise<NDArray> {
    this.#check();
    return this.readRegion(regionFromArgs(args, this.extent, this.path), options);
  }

  /**
   * The `br[y, x, z, c, t]` helper: integers, `[start, end]` pairs with optional open ends
   * (`[10, null]` = `10:`), negative indices from the end, lists for C and T, `undefined` for a whole axis.
   */
  async get(...slices: SliceArg[]): Promise<NDArray> {
    this.#check();
    return this.readRegion(regionFromSlices(slices, this.extent, this.path));
  }

  /** Reads an already validated region (used by tile iterators and converters). */
  async readRegion(region: Region, options: ReadOptions = {}): Promise<NDArray> {
    this.#check();
    const length = regionLength(region);
    let out = options.out;
    if (out) {
      if (dtypeOf(out) !== this.dtype || out.length !== length) {
        throw new InvalidDataError(
          `out must be a ${this.dtype} array of ${length} elements for this region of ${this.path}, got ${dtypeOf(out) ?? out.constructor.name} of ${out.length}`,
          this.path,
        );
      }
    } else {
      const bytes = length * bytesPerPixel(this.dtype);
      const budget = options.maxBytes ?? defaultMaxReadBytes();
      const tooBig = () =>
        new InvalidDataError(
          `reading X ${region.x}, Y ${region.y}, Z ${region.z}, ${region.c.length} channel(s), ${region.t.length} timepoint(s) of ${this.path} needs ${gib(bytes)}, more than this read may allocate (${gib(budget)}: ReadOptions.maxBytes or BFIO_MAX_READ_BYTES); read it by tiles (iterateTiles, or smaller X/Y/Z ranges)`,
          this.path,
        );
      if (bytes > budget) throw tooBig();
      // A page that is not cross-origin isolated has no SharedArrayBuffer at all (not even the global):
      // the result is then a plain array, and workers' results are placed here instead.
      const shared = (options.shared ?? bytes >= SHARED_MIN_BYTES) && typeof SharedArrayBuffer === 'function';
      try {
        out = shared ? viewAs(this.dtype, sharedMemory(bytes), 0, length) : allocate(this.dtype, length);
      } catch (err) {
        // Within the budget but more than V8 can give one buffer (or than is free).
        if (err instanceof RangeError) throw tooBig();
        throw err;
      }
    }
    // A large shared result's pages are made present by this thread while the backend's codec workers fill
    // it: cheaper than their page faults (@bfio/codecs prefaultAhead; stopped when the read settles).
    const target = out;
    await prefaulting(target, () =>
      this.#backend.readRegion({ series: this.#series, level: this.#level }, region, target, options.signal),
    );
    const ny = region.y[1] - region.y[0];
    const nx = region.x[1] - region.x[0];
    const nz = region.z[1] - region.z[0];
    const nc = region.c.length;
    const array = new NDArray(out, [ny, nx, nz, nc, region.t.length], planarStrides(ny, nx, nz, nc));
    return options.squeeze === false ? array : array.squeezeTrailing();
  }

  /**
   * Iterates the volume by Z,Y,X blocks of `options.shape` (one channel and timepoint each, X fastest),
   * reading ahead in batches into memory it reuses: no result is allocated per block. Each block's `data` is
   * valid until the iterator is advanced; copy it to keep it. See `BlockOptions`.
   */
  blocks(options: BlockOptions): AsyncGenerator<Block> {
    this.#check();
    const selection = { series: this.#series, level: this.#level };
    const backend = this.#backend;
    const dtype = this.dtype;
    const check = () => this.#check();
    return iterateBlocks(
      {
        path: this.path,
        X: this.X,
        Y: this.Y,
        Z: this.Z,
        C: this.C,
        T: this.T,
        dtype,
        maxBlockBytes: defaultMaxReadBytes(),
        async readBatch(regions, out, signal) {
          check();
          if (regions.length > 1 && backend.readRegions) {
            await backend.readRegions(selection, regions, out, signal);
            return;
          }
          // One read per block, each into its part of the batch.
          const length = regionLength(regions[0]!);
          const bpp = bytesPerPixel(dtype);
          await Promise.all(
            regions.map((region, i) =>
              backend.readRegion(
                selection,
                region,
                viewAs(dtype, out.buffer, out.byteOffset + i * length * bpp, length),
                signal,
              ),
            ),
          );
        },
      },
      options,
    );
  }

  /**
   * Iterates tiles in batches (bfio's `br(tile_size, tile_stride, batch_size, channels)`), over every Z and
   * T asked for, reading ahead while the consumer works. See `TileOptions`.
   */
  tiles(options: TileOptions): AsyncGenerator<TileBatch> {
    this.#check();
    return iterateTiles(this, options);
  }

  /** Tiles per plane for a tile size and stride (bfio's `maximum_batch_size`, with x and y kept apart). */
  maximumBatchSize(tileSize: [number, number], stride?: [number, number]): number {
    return maximumBatchSize(this.extent, tileSize, stride);
  }

  // ---- lifetime ----------------------------------------------------------------------------------

  get closed(): boolean {
    return this.#closed;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#backend.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #check(): void {
    if (this.#closed) throw new ClosedError('BioReader', this.path);
  }
}
