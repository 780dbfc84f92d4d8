/**
 * The writer's options, checked and resolved once at `create` (so a bad option fails before any byte is
 * written).
 */
import { codecAvailable } from '@bfio/codecs';
import {
  bytesPerPixel,
  type CreateOptions,
  type DType,
  InvalidDataError,
  UnsupportedError,
} from '@bfio/core';
import type { Pixels } from '@bfio/ome-xml';
import { cores } from '#platform';
import { Predictor } from '../tiff-tags.js';
import type { TiffCodec } from './codecs.js';
import type { DownsampleMode } from './downsample.js';

export interface TiffCreateOptions extends CreateOptions {
  /** 'auto' (default): BigTIFF only when the finished file would not fit classic TIFF's 4 GiB offsets. */
  bigTiff?: boolean | 'auto';
  /** Horizontal differencing before compression: Predictor 2 for integers, 3 (floating point) for floats. */
  predictor?: boolean;
  /**
   * What bfio's python writer produces, so WIPP plugins and bfio 2.5 read the file: 1024×1024 tiles, Adobe
   * Deflate level 1, no predictor, one channel and one timepoint, DimensionOrder XYZCT, Software "bfio".
   */
  wipp?: boolean;
  /** The Software tag. */
  software?: string;
  /**
   * Where Deflate tiles are compressed: on @bfio/core's shared WorkerPool (default; horizontal predictor
   * there too) or with async node:zlib on libuv's thread pool.
   */
  encodeOn?: 'workers' | 'libuv';
  /**
   * Interleaved RGB (brightfield slides): the image's 3 channels stored as one chunky plane per Z/T
   * (SamplesPerPixel 3, PlanarConfiguration 1, Photometric RGB, or YCbCr under JPEG), OME Channel
   * SamplesPerPixel 3 as Bio-Formats writes. Needs exactly 3 channels of uint8 or uint16. A tile is encoded
   * once its three channels are written: write them close together (all channels per region, or
   * `copyImage`'s `channelsTogether`), or the finished tiles of the earlier channels wait in memory.
   */
  rgb?: boolean;
}

export interface ResolvedOptions {
  overwrite: boolean;
  tileHeight: number;
  tileWidth: number;
  codec: TiffCodec;
  level: number;
  predictor: number;
  bigTiff: boolean | 'auto';
  pyramidLevels: number;
  downsample: DownsampleMode;
  software: string;
  /** Tiles being encoded/written at once. */
  slots: number;
  wipp: boolean;
  encodeOn: 'workers' | 'libuv';
  /** Samples per pixel of every IFD: 3 with `rgb`, else 1. */
  samples: 1 | 3;
  /** JPEG quality (codec 'jpeg'). */
  quality: number;
}

export const DEFAULT_TILE_SIZE = 1024;
export const DEFAULT_SOFTWARE = 'bfio.ts (@bfio/tiff)';
/** Bytes of tiles the writer takes ahead of its encoders (see `encodeSlots`). */
const QUEUED_BYTES = 32 * 1024 * 1024;

/**
 * Tiles held by the encoder at once: at least twice the workers, so the pool stays busy while tiles are
 * copied and written, and up to 32 MiB of tiles (16 of 1024² uint16), so that a caller preparing its next
 * band of tiles (reading, cutting) does not leave the workers idle meanwhile: with 4 slots a 512 MiB
 * tile-by-tile write ran 1.2–2× longer than with 16 on this shared 2-core machine (bench/tiff-write-probe.ts).
 */
function encodeSlots(workers: number, tileBytes: number): number {
  const least = Math.max(2, Math.floor(workers) * 2);
  return Math.max(least, Math.min(32, Math.floor(QUEUED_BYTES / tileBytes)));
}

/** Deflate level 1, as bfio: nearly the ratio of level 6 on microscopy data at several times the speed. */
const DEFAULT_LEVEL: Record<TiffCodec, number> = { none: 0, deflate: 1, lzw: 0, zstd: 1, jpeg: 0 };
/** libjpeg's quality scale; 90 keeps brightfield slides visually lossless at ~1/10 of Deflate's size. */
export const DEFAULT_JPEG_QUALITY = 90;

function tileSizes(file: string, tileSize: CreateOptions['tileSize']): [number, number] {
  const [h, w] =
    tileSize === undefined
      ? [DEFAULT_TILE_SIZE, DEFAULT_TILE_SIZE]
      : typeof tileSize === 'number'
        ? [tileSize, tileSize]
        : tileSize;
  for (const v of [h, w]) {
    if (!Number.isInteger(v) || v! < 16 || v! % 16 !== 0) {
      throw new InvalidDataError(
        `Cannot create ${file}: TIFF tile sizes must be positive multiples of 16, got ${JSON.stringify(tileSize)}`,
        file,
      );
    }
  }
  return [h!, w!];
}

function codecOf(file: string, compression: CreateOptions['compression']): TiffCodec {
  switch (compression ?? 'deflate') {
    case 'none':
      return 'none';
    case 'deflate':
    case 'zlib':
      return 'deflate';
    case 'lzw':
      return 'lzw';
    case 'zstd':
      return 'zstd';
    case 'jpeg':
      return 'jpeg';
    default:
      throw new UnsupportedError(
        `Cannot create ${file}: compression '${compression}' is not available for TIFF; use deflate, lzw, zstd, jpeg or none`,
        file,
      );
  }
}

/** The options that do not depend on the image, checked at `BioWriter.create` (see `checkTiffOptions`). */
type StaticOptions = Omit<ResolvedOptions, 'predictor' | 'slots' | 'samples'> & {
  predictor: boolean;
  rgb: boolean;
};

/** JPEG's own checks: the encoder is built, a quality in range, no predictor or level. */
function checkJpeg(file: string, codec: TiffCodec, options: TiffCreateOptions): number {
  const { quality } = options;
  if (codec !== 'jpeg') {
    if (quality !== undefined) {
      throw new InvalidDataError(
        `Cannot create ${file}: quality applies to JPEG compression only; add compression 'jpeg' or drop it`,
        file,
      );
    }
    return 0;
  }
  if (!codecAvailable('jpeg-encode')) {
    throw new UnsupportedError(
      `Cannot create ${file}: JPEG compression needs @bfio/codecs' native libjpeg-turbo addon, which is not built (apt-get install libjpeg62-turbo-dev, then reinstall @bfio/codecs so its install script builds native-jpeg); use deflate, lzw or zstd meanwhile`,
      file,
    );
  }
  if (quality !== undefined && (!Number.isInteger(quality) || quality < 1 || quality > 100)) {
    throw new InvalidDataError(`Cannot create ${file}: JPEG quality must be 1..100, got ${quality}`, file);
  }
  if (options.predictor) {
    throw new InvalidDataError(`Cannot create ${file}: JPEG takes no predictor; drop predictor`, file);
  }
  if (options.compressionLevel !== undefined) {
    throw new InvalidDataError(
      `Cannot create ${file}: JPEG has a quality (1..100), not a compression level; use quality`,
      file,
    );
  }
  return quality ?? DEFAULT_JPEG_QUALITY;
}

/**
 * Checks and resolves every option that does not depend on the image's sizes or dtype. Called by
 * `BioWriter.create` (through the backend's `checkCreateOptions`) and again by `resolveOptions`.
 */
export function checkTiffOptions(file: string, options: TiffCreateOptions): StaticOptions {
  const wipp = options.wipp === true;
  if (wipp) {
    const conflicts: string[] = [];
    if (
      options.tileSize !== undefined &&
      tileSizes(file, options.tileSize).some((v) => v !== DEFAULT_TILE_SIZE)
    ) {
      conflicts.push('tileSize (WIPP uses 1024)');
    }
    if (options.compression !== undefined && codecOf(file, options.compression) !== 'deflate') {
      conflicts.push('compression (WIPP uses deflate)');
    }
    if (options.predictor) conflicts.push('predictor (WIPP uses none)');
    if (options.pyramidLevels) conflicts.push('pyramidLevels (WIPP files have no pyramid)');
    if (options.rgb) conflicts.push('rgb (WIPP files hold one channel)');
    if (conflicts.length) {
      throw new InvalidDataError(`Cannot create ${file} in WIPP mode with ${conflicts.join(', ')}`, file);
    }
  }
  const [tileHeight, tileWidth] = wipp
    ? [DEFAULT_TILE_SIZE, DEFAULT_TILE_SIZE]
    : tileSizes(file, options.tileSize);
  const codec = wipp ? 'deflate' : codecOf(file, options.compression);
  let level = wipp ? 1 : (options.compressionLevel ?? DEFAULT_LEVEL[codec]);
  if (codec === 'deflate' && (!Number.isInteger(level) || level < 0 || level > 9)) {
    throw new InvalidDataError(`Cannot create ${file}: Deflate level must be 0..9, got ${level}`, file);
  }
  if (codec === 'zstd' && (!Number.isInteger(level) || level < 1 || level > 22)) {
    throw new InvalidDataError(`Cannot create ${file}: zstd level must be 1..22, got ${level}`, file);
  }
  if (codec === 'none' || codec === 'lzw' || codec === 'jpeg') level = 0;
  const quality = checkJpeg(file, codec, options);
  if (options.rgb !== undefined && typeof options.rgb !== 'boolean') {
    throw new InvalidDataError(`Cannot create ${file}: rgb must be true or false`, file);
  }
  const predictor = Boolean(options.predictor) && !wipp;
  if (predictor && codec === 'none') {
    throw new InvalidDataError(
      `Cannot create ${file}: a predictor needs compression (deflate, lzw or zstd)`,
      file,
    );
  }
  const pyramidLevels = options.pyramidLevels ?? 0;
  if (!Number.isInteger(pyramidLevels) || pyramidLevels < 0) {
    throw new InvalidDataError(`Cannot create ${file}: pyramidLevels must be a whole number ≥ 0`, file);
  }
  const downsample = options.downsample ?? 'mean';
  if (!['mean', 'nearest', 'mode', 'max'].includes(downsample)) {
    throw new InvalidDataError(
      `Cannot create ${file}: downsample must be 'mean', 'nearest', 'mode' or 'max'`,
      file,
    );
  }
  const bigTiff = options.bigTiff ?? 'auto';
  if (bigTiff !== true && bigTiff !== false && bigTiff !== 'auto') {
    throw new InvalidDataError(`Cannot create ${file}: bigTiff must be true, false or 'auto'`, file);
  }
  const encodeOn = options.encodeOn ?? 'workers';
  if (encodeOn !== 'workers' && encodeOn !== 'libuv') {
    throw new InvalidDataError(`Cannot create ${file}: encodeOn must be 'workers' or 'libuv'`, file);
  }
  if (
    options.maxWorkers !== undefined &&
    (!Number.isInteger(options.maxWorkers) || (options.maxWorkers as number) < 1)
  ) {
    throw new InvalidDataError(
      `Cannot create ${file}: maxWorkers must be a positive integer, got ${String(options.maxWorkers)}`,
      file,
    );
  }
  return {
    overwrite: options.overwrite === true,
    tileHeight,
    tileWidth,
    codec,
    level,
    predictor,
    bigTiff,
    pyramidLevels,
    downsample,
    software: wipp ? 'bfio' : (options.software ?? DEFAULT_SOFTWARE),
    wipp,
    encodeOn,
    quality,
    rgb: options.rgb === true && !wipp,
  };
}

export function resolveOptions(
  file: string,
  pixels: Pixels,
  dtype: DType,
  options: TiffCreateOptions,
): ResolvedOptions {
  const checked = checkTiffOptions(file, options);
  if (checked.wipp && (pixels.sizeC > 1 || pixels.sizeT > 1)) {
    throw new InvalidDataError(
      `Cannot create ${file} in WIPP mode: WIPP files hold one channel and one timepoint, got C=${pixels.sizeC} T=${pixels.sizeT}; write one file per channel and timepoint`,
      file,
    );
  }
  const scale = 2 ** checked.pyramidLevels;
  if (Math.floor(pixels.sizeX / scale) < 1 || Math.floor(pixels.sizeY / scale) < 1) {
    throw new InvalidDataError(
      `Cannot create ${file}: ${checked.pyramidLevels} pyramid levels would shrink a ${pixels.sizeX}×${pixels.sizeY} image below one pixel`,
      file,
    );
  }
  if (checked.codec === 'jpeg' && dtype !== 'uint8') {
    throw new UnsupportedError(
      `Cannot create ${file}: JPEG stores 8-bit samples, the image is ${dtype}; use deflate, lzw or zstd (or convert to uint8 first)`,
      file,
    );
  }
  if (checked.rgb && pixels.sizeC !== 3) {
    throw new InvalidDataError(
      `Cannot create ${file} as RGB: interleaved RGB needs exactly 3 channels, the image has ${pixels.sizeC}; drop rgb`,
      file,
    );
  }
  if (checked.rgb && dtype !== 'uint8' && dtype !== 'uint16') {
    throw new UnsupportedError(
      `Cannot create ${file} as RGB: Photometric RGB is written for uint8 or uint16 samples, the image is ${dtype}; drop rgb`,
      file,
    );
  }
  const predictor = !checked.predictor
    ? Predictor.None
    : dtype === 'float32' || dtype === 'float64'
      ? Predictor.FloatingPoint
      : Predictor.Horizontal;
  const workers = options.maxWorkers ?? cores();
  const { rgb, ...rest } = checked;
  return {
    ...rest,
    samples: rgb ? 3 : 1,
    predictor,
    slots: encodeSlots(workers, checked.tileWidth * checked.tileHeight * bytesPerPixel(dtype)),
  };
}
