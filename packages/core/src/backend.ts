/**
 * The backend contract: what a format plugin (@bfio/tiff, @bfio/zarr, @bfio/bioformats-java, or a third
 * party's) implements so that `BioReader`/`BioWriter` can serve its files.
 *
 * Design rules, so that one contract fits plane-based (TIFF, Bio-Formats) and chunk-based (Zarr) formats:
 * - Pixels cross the contract in one layout only: **planar T, C, Z, Y, X** (X fastest), for exactly the
 *   region asked. The front classes turn that into the user-facing Y,X,Z,C,T view without copying.
 * - Regions are already validated and clamped by the front classes: a backend may trust them.
 * - Everything is async; a backend may read or decode in parallel as long as it fills `out` before resolving.
 * - Series (distinct images in a file) and levels (resolutions of one image) are separate selections.
 */
import type { OME } from '@bfio/ome-xml';
import type { DType, TypedArray } from './dtype.js';
import { isObjectStoreUrl } from './object-store.js';

/** Bumped when the contract changes incompatibly; `registerBackend` refuses other versions. */
export const SPECIFICATION_VERSION = 'v1' as const;
export type SpecificationVersion = typeof SPECIFICATION_VERSION;

/**
 * A 5-D region: half-open ranges on X, Y, Z, and index lists on C and T (any order, repeats allowed),
 * as bfio's `read(X=[x0,x1], Y=[y0,y1], Z=[z0,z1], C=[...], T=[...])`.
 */
export interface Region {
  x: [number, number];
  y: [number, number];
  z: [number, number];
  c: number[];
  t: number[];
}

/** Number of elements of a region's planar buffer. */
export function regionLength(region: Region): number {
  return (
    (region.x[1] - region.x[0]) *
    (region.y[1] - region.y[0]) *
    (region.z[1] - region.z[0]) *
    region.c.length *
    region.t.length
  );
}

/** One resolution level of one series. Level 0 is full resolution. */
export interface LevelInfo {
  sizeX: number;
  sizeY: number;
  sizeZ: number;
  sizeC: number;
  sizeT: number;
  /** Native block layout (TIFF tile/strip, Zarr chunk) in pixels, when the format has one. */
  tileWidth?: number;
  tileHeight?: number;
  /**
   * How much larger this level's pixels are than level 0's along X, Y, Z, when the file records it (NGFF
   * scale transforms): pyramids round sizes, so 150 px halved twice is 37 px at a factor of 4, not 150/37.
   * Without it, the size ratio is used.
   */
  downsample?: { x: number; y: number; z: number };
}

export interface SeriesInfo {
  /** Index into `metadata.images` of this series' OME Image. */
  imageIndex: number;
  dtype: DType;
  levels: LevelInfo[];
}

export interface SelectedImage {
  series: number;
  level: number;
}

/** A file opened for reading by a backend. */
export interface ReaderBackend {
  /** Human-readable format name, e.g. 'OME-TIFF', 'TIFF', 'OME-Zarr 0.5', 'Zeiss CZI'. */
  readonly format: string;
  /** The full OME metadata of the file (all series). */
  readonly metadata: OME;
  readonly series: readonly SeriesInfo[];
  /** Extra, backend-specific facts for `bfio info` (compression, tile layout, NGFF version...). */
  readonly details?: Readonly<Record<string, unknown>>;
  /**
   * Fill `out` (length `regionLength(region)`, dtype of the series) with the region's pixels in planar
   * T, C, Z, Y, X order. The region is within bounds.
   */
  readRegion(selection: SelectedImage, region: Region, out: TypedArray, signal?: AbortSignal): Promise<void>;
  /**
   * Optional: fill `out` with `regions`, all of one shape, back to back (region i from element
   * i × regionLength), as one read. A backend that has it can read what the regions share in fewer, larger
   * tasks (a Zarr shard's chunks stored back to back: one read and one worker task); without it each region
   * is read on its own. Used by `BioReader.blocks`, whose `out` is on shared memory where there is any.
   */
  readRegions?(
    selection: SelectedImage,
    regions: readonly Region[],
    out: TypedArray,
    signal?: AbortSignal,
  ): Promise<void>;
  close(): Promise<void>;
}

/** A file being written by a backend. */
export interface WriterBackend {
  /**
   * Store `data` (planar T, C, Z, Y, X for `region`, the writer's dtype). Regions may be unaligned, in any
   * order, and concurrent calls may overlap in time (never in pixels, which is the caller's contract).
   * `data` may be the caller's own buffer: copy what you keep, never retain, transfer or detach it.
   */
  writeRegion(region: Region, data: TypedArray, level?: number): Promise<void>;
  /** Finish the file so it is valid and complete (flush partial tiles, write pyramids, rename into place). */
  close(): Promise<void>;
  /** Give up: remove everything written so far, leaving no file that looks valid. */
  abort(): Promise<void>;
}

export interface OpenOptions {
  /** Which series/level the caller will read first (backends may use it to open lazily). */
  series?: number;
  level?: number;
  /** Decode/encode parallelism; default the number of cores. */
  maxWorkers?: number;
  /** Retry OME-XML parsing after fixing known producer mistakes (default true, as bfio). */
  cleanMetadata?: boolean;
  /**
   * A chunk or tile the file lacks is an error naming it, instead of the fill value the formats prescribe
   * (default false). For archives that must be complete: a chunk lost in a copy otherwise reads as zeros.
   */
  strict?: boolean;
  /**
   * What a region the file lacks reads as (a sparse TIFF tile or strip, an absent Zarr chunk), instead of the
   * format's own (0 for TIFF, the array's fill_value for Zarr): bfconvert/bioformats2raw's `--fill-value`.
   */
  fillValue?: number;
  /**
   * The bytes of `path` when the image is a `Blob` or `File` (a dropped file in a browser; `path` is then its
   * name): set by `BioReader.open(blob)` for backends with `readsBlobs`, which read it by `Blob.slice`.
   */
  blob?: Blob;
  /** Backend-specific options pass through untouched. */
  [option: string]: unknown;
}

/** How a writer builds each pyramid level from 2×2 blocks of the one above (see `CreateOptions.downsample`). */
export type DownsampleMode = 'mean' | 'nearest' | 'mode' | 'max';

/** 'jpeg' is lossy, 8-bit only, and written by the TIFF writer only (quality: `CreateOptions.quality`). */
export type Compression =
  | 'none'
  | 'deflate'
  | 'lzw'
  | 'zstd'
  | 'blosc-zstd'
  | 'blosc-lz4'
  | 'gzip'
  | 'zlib'
  | 'jpeg';

export interface CreateOptions {
  /** Replace an existing target (default false: throw FileExistsError). */
  overwrite?: boolean;
  /** Tile (TIFF) or chunk (Zarr) size in Y and X. */
  tileSize?: number | [number, number];
  compression?: Compression;
  compressionLevel?: number;
  /** JPEG quality 1..100 (libjpeg's scale; default 90), for compression 'jpeg'. */
  quality?: number;
  /** Number of pyramid levels beyond level 0. */
  pyramidLevels?: number;
  /**
   * How pyramid levels are computed from 2×2 blocks: mean (images), or for label images and masks nearest
   * (the top-left pixel), mode (the most frequent value; ties → the smallest) or max.
   */
  downsample?: DownsampleMode;
  /** Zarr: the arrays' fill_value (what readers give for a chunk the store lacks); default 0. */
  fillValue?: number;
  /**
   * Sizes [X, Y] of the levels after the full resolution when the caller writes them itself (a source's own
   * pyramid, bfconvert/bioformats2raw's `--use-existing-resolutions`): each smaller than the one before, any
   * ratio. Nothing is downsampled; `BioWriter.write(data, { level })` fills each. Replaces `pyramidLevels`.
   */
  levelSizes?: Array<[number, number]>;
  maxWorkers?: number;
  [option: string]: unknown;
}

/** Facts about a file found from its first bytes or a cheap probe, used to rank backends. */
export interface ProbeInput {
  /** Absolute path (file or directory), or an http(s) URL. */
  path: string;
  /** Up to the first 4096 bytes of a file; empty for a directory. */
  firstBytes: Uint8Array;
  isDirectory: boolean;
  /**
   * An http(s) URL: `firstBytes` come from a range request, and a URL that does not answer with file bytes
   * (or ends with `/` or `.zarr`) counts as a directory (a store). Backends that read only local files
   * decline remote inputs in `canOpen`.
   */
  remote?: boolean;
  /** The File/Blob whose name is `path` (`BioReader.open(blob)`): only backends with `readsBlobs` get it. */
  blob?: Blob;
}

/**
 * Whether `path` is remote: an http(s) URL or an object-store URL such as `s3://bucket/key` (read by byte
 * ranges and keys by the backends that can, TIFF and Zarr).
 */
export const isRemote = (path: string): boolean => /^https?:\/\//i.test(path) || isObjectStoreUrl(path);

/**
 * A format plugin. Register it with `registerBackend` (backend packages do so when imported).
 * Selection: a forced name wins; else backends whose `sniff` accepts the magic bytes (or, for
 * directories, whose `canOpen` accepts), ranked by the longest matching extension, then `priority`;
 * the first whose `canOpen` probe says yes opens the file.
 */
export interface Backend {
  readonly specificationVersion: SpecificationVersion;
  /** Short name users force it by: 'tiff', 'zarr', 'bioformats', ... */
  readonly name: string;
  /** The npm package that provides it (for error messages). */
  readonly packageName: string;
  /** Lower-case extensions it reads, with the dot, e.g. ['.ome.tif', '.tif']. */
  readonly extensions: readonly string[];
  /** Lower-case extensions it writes. */
  readonly writeExtensions?: readonly string[];
  /** Higher wins among equal extension matches (a native backend beats Bio-Formats for TIFF). Default 0. */
  readonly priority?: number;
  /** Whether `open` reads a File/Blob given as `OpenOptions.blob` (one file: TIFF yes, a Zarr store no). */
  readonly readsBlobs?: boolean;
  /** Quick magic-byte test; no I/O. Omit to rely on extensions and `canOpen`. */
  sniff?(input: ProbeInput): boolean;
  /** A cheap probe (may read headers). Returns true, or a string saying why not. */
  canOpen?(input: ProbeInput): Promise<true | string>;
  open?(path: string, options: OpenOptions): Promise<ReaderBackend>;
  create?(path: string, metadata: OME, dtype: DType, options: CreateOptions): Promise<WriterBackend>;
  /**
   * Checks the writer options that do not depend on the image's sizes or dtype (codec, level, tile or chunk
   * shape, pyramid levels, ...) and throws the typed error `create` would. `BioWriter.create` calls it, so a
   * bad option fails there and not at the first `write()`, when pixels may already have been computed.
   */
  checkCreateOptions?(path: string, options: CreateOptions): void;
}
