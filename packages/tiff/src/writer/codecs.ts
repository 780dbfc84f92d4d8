/**
 * Tile encoders: predictors, then Deflate (libdeflate or node:zlib on @bfio/core's WorkerPool, predictor included, or
 * async node:zlib on libuv's thread pool), LZW (ours, on the WorkerPool too), zstd (numcodecs' WASM build; Node 20's zlib has no
 * zstd), JPEG (libjpeg-turbo through native-jpeg, on the WorkerPool) or nothing.
 */
import { promisify } from 'node:util';
import { deflate } from 'node:zlib';
import type { DType, TypedArray, WorkerPool } from '@bfio/core';
import { encodeJpeg, jpegEncoder } from '../jpeg-native.mjs';
import { lzwEncode } from '../lzw-codec.mjs';
import { Compression as CompressionCode, Predictor } from '../tiff-tags.js';
import { zstdNative } from '../zstd-native.mjs';
import { libdeflatePath } from './libdeflate.js';

const deflateAsync = promisify(deflate);

export type TiffCodec = 'none' | 'deflate' | 'lzw' | 'zstd' | 'jpeg';

export const COMPRESSION_TAG: Record<TiffCodec, number> = {
  none: CompressionCode.None,
  deflate: CompressionCode.AdobeDeflate,
  lzw: CompressionCode.LZW,
  zstd: CompressionCode.Zstd,
  jpeg: CompressionCode.JPEG,
};

export interface EncodeSettings {
  codec: TiffCodec;
  level: number;
  /** TIFF Predictor tag value: 1 none, 2 horizontal, 3 floating point. */
  predictor: number;
  dtype: DType;
  tileWidth: number;
  /** Samples per pixel, interleaved in the tile (default 1; 3 for RGB). */
  samples?: number;
  /** JPEG quality 1..100 (codec 'jpeg'; default 90). */
  quality?: number;
  /**
   * Deflate on this pool (one synchronous zlib call per tile in a worker, output sized to the tile: measured
   * ~1.5× async node:zlib's 16 KiB chunks on 2 MiB tiles, with nothing left on the main thread). Without it,
   * libuv's pool.
   */
  pool?: WorkerPool;
}

/**
 * What the caller lets the encoder do with the tile: `owned` means its buffer is the tile's alone (it may be
 * moved to a worker); `recycle` then receives the buffer back once the worker is done with it.
 */
export interface TileOwnership {
  owned: boolean;
  recycle?: (buffer: ArrayBuffer) => void;
  /** A buffer (moved to the worker) to return the compressed bytes in when they fit. */
  outputSpare?: ArrayBuffer;
}

interface ZstdCodec {
  encode(data: Uint8Array): Promise<Uint8Array>;
}
let zstdCodec: Promise<ZstdCodec> | undefined;
const zstdByLevel = new Map<number, Promise<ZstdCodec>>();

function zstd(level: number): Promise<ZstdCodec> {
  let codec = zstdByLevel.get(level);
  if (!codec) {
    // Loaded on first use: the WASM module is ~1 MB and most files are Deflate.
    zstdCodec ??= import('numcodecs/zstd').then((m) => m.default as unknown as ZstdCodec);
    codec = zstdCodec.then((Zstd) => new (Zstd as unknown as new (level: number) => ZstdCodec)(level));
    zstdByLevel.set(level, codec);
  }
  return codec;
}

/**
 * Horizontal differencing (Predictor 2) in place, per row of `width` pixels of `samples` interleaved samples,
 * each sample from the same sample of the pixel to its left, in the sample's own integer type (wrapping), as
 * TIFF decoders undo it.
 */
function horizontalPredictor(tile: TypedArray, width: number, samples: number): void {
  const rowLength = width * samples;
  const rows = tile.length / rowLength;
  for (let r = 0; r < rows; r++) {
    const start = r * rowLength;
    for (let i = start + rowLength - 1; i >= start + samples; i--) tile[i] = tile[i]! - tile[i - samples]!;
  }
}

/**
 * Floating-point predictor (Predictor 3, Adobe Technical Note 3): each row's bytes are regrouped by
 * significance (most significant byte of every sample first), then byte-differenced.
 */
function floatingPointPredictor(tile: TypedArray, width: number): Uint8Array {
  const bps = tile.BYTES_PER_ELEMENT;
  const src = new Uint8Array(tile.buffer, tile.byteOffset, tile.byteLength);
  const out = new Uint8Array(src.length);
  const rowBytes = width * bps;
  const rows = tile.length / width;
  for (let r = 0; r < rows; r++) {
    const base = r * rowBytes;
    // Little-endian host: byte b (0 = least significant) of sample i sits at base + i*bps + b.
    for (let b = 0; b < bps; b++) {
      const dst = base + b * width;
      const srcByte = bps - 1 - b;
      for (let i = 0; i < width; i++) out[dst + i] = src[base + i * bps + srcByte]!;
    }
    for (let i = base + rowBytes - 1; i > base; i--) out[i] = (out[i]! - out[i - 1]!) & 0xff;
  }
  return out;
}

/** Whether `encodeTile` compresses on the WorkerPool with these settings (Deflate, no float predictor). */
export function encodesOnPool(s: EncodeSettings): boolean {
  return s.codec === 'deflate' && s.pool !== undefined && s.predictor !== Predictor.FloatingPoint;
}

/** Encode one tile. May modify `tile` in place (predictor), or move it to a worker when it is `owned`. */
export async function encodeTile(
  tile: TypedArray,
  s: EncodeSettings,
  ownership: TileOwnership = { owned: false },
): Promise<Uint8Array> {
  if (encodesOnPool(s) && s.pool) {
    const bytes = new Uint8Array(tile.buffer, tile.byteOffset, tile.byteLength);
    const whole =
      ownership.owned &&
      tile.buffer instanceof ArrayBuffer &&
      tile.byteOffset === 0 &&
      tile.byteLength === tile.buffer.byteLength;
    const size = tile.BYTES_PER_ELEMENT as 1 | 2 | 4;
    const samples = s.samples ?? 1;
    const { recycle } = ownership;
    return s.pool.run(
      'deflate',
      bytes,
      {
        level: s.level,
        // Same output size as memLevel 8, ~7 % less CPU on 1024² uint16 tiles at level 1 (measured).
        memLevel: 9,
        outputSize: bytes.byteLength,
        // libdeflate when its addon is built (~2.2x zlib's speed); the worker falls back to zlib otherwise.
        native: libdeflatePath(),
        predict:
          s.predictor === Predictor.Horizontal
            ? { size, rowLength: s.tileWidth * samples, stride: samples }
            : undefined,
      },
      {
        transfer: whole,
        returnInput: whole && recycle ? (input) => recycle(input.buffer as ArrayBuffer) : undefined,
        spare: ownership.outputSpare,
      },
    );
  }
  let bytes: Uint8Array;
  if (s.predictor === Predictor.Horizontal) {
    horizontalPredictor(tile, s.tileWidth, s.samples ?? 1);
    bytes = new Uint8Array(tile.buffer, tile.byteOffset, tile.byteLength);
  } else if (s.predictor === Predictor.FloatingPoint) {
    bytes = floatingPointPredictor(tile, s.tileWidth);
  } else {
    bytes = new Uint8Array(tile.buffer, tile.byteOffset, tile.byteLength);
  }
  switch (s.codec) {
    case 'none':
      return bytes;
    case 'deflate': {
      const out = await deflateAsync(bytes, { level: s.level, memLevel: 9 });
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    }
    case 'lzw': {
      if (!s.pool) return lzwEncode(bytes);
      // On a worker (worker-codecs.mjs); the predicted tile is moved there when it is the caller's to give.
      const whole = ownership.owned && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
      return s.pool.run('tiff-lzw-encode', bytes, {}, { transfer: whole });
    }
    case 'zstd': {
      if (!s.pool || !zstdNative()) return (await zstd(s.level)).encode(bytes);
      // Native zstd on a worker; the predicted tile is moved there when it is the caller's to give.
      const whole = ownership.owned && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
      return s.pool.run('tiff-zstd-encode', bytes, { level: s.level }, { transfer: whole });
    }
    case 'jpeg':
      return jpegTile(bytes, s, ownership);
  }
}

/**
 * One complete JPEG stream per tile (Compression 7 without JPEGTables, as tifffile writes), RGB as YCbCr
 * with 2×2 chroma subsampling (tifffile's default). On a worker when there is a pool; the options check made
 * sure the encoder loads.
 */
async function jpegTile(bytes: Uint8Array, s: EncodeSettings, ownership: TileOwnership): Promise<Uint8Array> {
  const components = s.samples ?? 1;
  const params = {
    width: s.tileWidth,
    height: bytes.length / (s.tileWidth * components),
    components,
    quality: s.quality ?? 90,
    subsample: components === 3,
  };
  if (s.pool) {
    const whole = ownership.owned && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    return s.pool.run('tiff-jpeg-encode', bytes, params, { transfer: whole });
  }
  const addon = jpegEncoder();
  if (!addon) throw new Error('internal: the JPEG encoder was checked at create but does not load');
  return encodeJpeg(addon, bytes, params.width, params.height, components, params.quality, params.subsample);
}
