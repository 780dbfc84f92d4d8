/**
 * Tile encoders. Every codec takes the same route through @bfio/codecs: the horizontal predictor and the
 * compression run together in the codec chain — on a pool worker when the writer has a pool, else on this
 * thread (node:zlib on libuv's threads for Deflate) — Deflate by libdeflate (node:zlib without its addon),
 * LZW ours, zstd native (zstd-napi; WASM without it), JPEG libjpeg-turbo. The floating-point predictor
 * regroups bytes here first (it makes a new buffer).
 */
import {
  applyFloatPredictor,
  type ChunkLane,
  type CodecParams,
  runHere,
  type WorkerPool,
} from '@bfio/codecs';
import type { DType, TypedArray } from '@bfio/core';
import type { Limiter } from '@bfio/core/backend';
import { Compression as CompressionCode, Predictor } from '../tiff-tags.js';

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
   * Encode on this pool (predictor and compression in one worker task, output sized to the tile: measured
   * ~1.5× async node:zlib's 16 KiB chunks on 2 MiB Deflate tiles, with nothing left on the main thread).
   * Without it, this thread (Deflate on libuv's pool).
   */
  pool?: WorkerPool;
  /**
   * Deflate tiles compressed on the chunk lane's threads (@bfio/codecs' ChunkLane: predictor and libdeflate in one
   * native call) instead of the pool: no worker to boot and no message per tile. Other codecs stay on the
   * pool.
   */
  lane?: { lane: ChunkLane; limiter: Limiter };
}

/**
 * What the caller lets the encoder do with the tile: `owned` means its buffer is the tile's alone (it may be
 * moved to a worker); `recycle` then receives the buffer back once the worker is done with it.
 */
export interface TileOwnership {
  owned: boolean;
  recycle?: (buffer: ArrayBufferLike) => void;
  /** A buffer (moved to the worker, or shared with it) to return the compressed bytes in when they fit. */
  outputSpare?: ArrayBufferLike;
}

/** The codec-table name of each TIFF codec we write. */
const ENCODER: Record<TiffCodec, string> = {
  none: 'raw',
  deflate: 'deflate',
  lzw: 'lzw-encode',
  zstd: 'zstd-encode',
  jpeg: 'jpeg-encode',
};

/** Room for any Deflate output of `bytes` input bytes (zlib's deflateBound is a little over the input size). */
export function deflateRoom(bytes: number): number {
  return bytes + (bytes >> 10) + 1024;
}

/** Whether `encodeTile` compresses on the chunk lane with these settings (Deflate, no float predictor). */
export function encodesOnLane(s: EncodeSettings): boolean {
  return s.lane !== undefined && s.codec === 'deflate' && s.predictor !== Predictor.FloatingPoint;
}

/** Whether `encodeTile` compresses on the WorkerPool with these settings (all but uncompressed tiles). */
export function encodesOnPool(s: EncodeSettings): boolean {
  return s.codec !== 'none' && s.pool !== undefined && !encodesOnLane(s);
}

/** The codec params of a tile of `bytes` (predictor included unless it is the floating-point one). */
function encodeParams(s: EncodeSettings, bytes: Uint8Array, sampleSize: number): CodecParams {
  const samples = s.samples ?? 1;
  const params: CodecParams = {};
  if (s.predictor === Predictor.Horizontal && s.codec !== 'jpeg') {
    params.predict = { size: sampleSize as 1 | 2 | 4, rowLength: s.tileWidth * samples, stride: samples };
  }
  switch (s.codec) {
    case 'deflate':
      params.level = s.level;
      // Same output size as memLevel 8, ~7 % less CPU on 1024² uint16 tiles at level 1 (measured, zlib).
      params.memLevel = 9;
      params.outputSize = bytes.byteLength;
      break;
    case 'zstd':
      params.level = s.level;
      break;
    case 'jpeg':
      // One complete JPEG stream per tile (Compression 7 without JPEGTables, as tifffile writes), RGB as
      // YCbCr with 2×2 chroma subsampling (tifffile's default).
      params.width = s.tileWidth;
      params.height = bytes.length / (s.tileWidth * samples);
      params.components = samples;
      params.quality = s.quality ?? 90;
      params.subsample = samples === 3;
      break;
  }
  return params;
}

/** Encode one tile. May modify `tile` in place (predictor), or move it to a worker when it is `owned`. */
export async function encodeTile(
  tile: TypedArray,
  s: EncodeSettings,
  ownership: TileOwnership = { owned: false },
): Promise<Uint8Array> {
  let bytes = new Uint8Array(tile.buffer, tile.byteOffset, tile.byteLength);
  let mine = ownership.owned;
  if (s.predictor === Predictor.FloatingPoint) {
    bytes = applyFloatPredictor(
      bytes,
      s.tileWidth * (s.samples ?? 1),
      s.samples ?? 1,
      tile.BYTES_PER_ELEMENT,
    );
    mine = true; // a new buffer: this function's to give, but not the caller's to get back
  }
  if (s.codec === 'none') {
    // Horizontal differencing without compression is valid TIFF, if rare.
    if (s.predictor === Predictor.Horizontal)
      return runHere('raw', bytes, encodeParams(s, bytes, tile.BYTES_PER_ELEMENT));
    return bytes;
  }
  const params = encodeParams(s, bytes, tile.BYTES_PER_ELEMENT);
  const codec = ENCODER[s.codec];
  if (s.lane && encodesOnLane(s)) {
    // Predictor (in place: the tile is ours) and libdeflate on one of libuv's threads, into the spare output.
    const { lane, limiter } = s.lane;
    const room = deflateRoom(bytes.byteLength);
    const spare = ownership.outputSpare;
    const out =
      spare && spare.byteLength >= room ? new Uint8Array(spare, 0, spare.byteLength) : new Uint8Array(room);
    const predict = params.predict as { size: 1 | 2 | 4; rowLength: number; stride: number } | undefined;
    const n = await limiter.run(() => lane.deflate(bytes, s.level, out, predict));
    if (n > 0) {
      const whole = mine && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
      if (whole) ownership.recycle?.(bytes.buffer);
      return out.subarray(0, n);
    }
    // Larger than libdeflate's bound for the tile (it cannot be): the ordinary route reports it.
  }
  if (!s.pool) return runHere(codec, bytes, params);
  // Our own tile, spanning its buffer: moved to the worker (an ArrayBuffer) or read there in place (shared).
  const whole = mine && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  const { recycle } = ownership;
  const giveBack = whole && recycle && s.predictor !== Predictor.FloatingPoint;
  return s.pool.run(codec, bytes, params, {
    transfer: whole,
    returnInput: giveBack ? (input) => recycle(input.buffer) : undefined,
    spare: ownership.outputSpare,
    // Tiles come in streams: the next one waits on its worker, not behind a round trip through this thread.
    queued: true,
  });
}
