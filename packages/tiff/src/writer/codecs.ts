/**
 * Tile encoders: predictors, then Deflate (async node:zlib, so tiles compress in parallel on libuv's thread
 * pool), LZW (ours), zstd (numcodecs' WASM build; Node 20's zlib has no zstd) or nothing.
 */
import { promisify } from 'node:util';
import { deflate } from 'node:zlib';
import type { DType, TypedArray } from '@bfio/core';
import { Compression as CompressionCode, Predictor } from '../tiff-tags.js';
import { lzwEncode } from './lzw.js';

const deflateAsync = promisify(deflate);

export type TiffCodec = 'none' | 'deflate' | 'lzw' | 'zstd';

export const COMPRESSION_TAG: Record<TiffCodec, number> = {
  none: CompressionCode.None,
  deflate: CompressionCode.AdobeDeflate,
  lzw: CompressionCode.LZW,
  zstd: CompressionCode.Zstd,
};

export interface EncodeSettings {
  codec: TiffCodec;
  level: number;
  /** TIFF Predictor tag value: 1 none, 2 horizontal, 3 floating point. */
  predictor: number;
  dtype: DType;
  tileWidth: number;
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
 * Horizontal differencing (Predictor 2) in place, per row, in the sample's own integer type (wrapping),
 * as TIFF decoders undo it.
 */
function horizontalPredictor(tile: TypedArray, width: number): void {
  const rows = tile.length / width;
  for (let r = 0; r < rows; r++) {
    const start = r * width;
    for (let i = start + width - 1; i > start; i--) tile[i] = tile[i]! - tile[i - 1]!;
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

/** Encode one tile. May modify `tile` in place (predictor). */
export async function encodeTile(tile: TypedArray, s: EncodeSettings): Promise<Uint8Array> {
  let bytes: Uint8Array;
  if (s.predictor === Predictor.Horizontal) {
    horizontalPredictor(tile, s.tileWidth);
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
      const out = await deflateAsync(bytes, { level: s.level });
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    }
    case 'lzw':
      return lzwEncode(bytes);
    case 'zstd':
      return (await zstd(s.level)).encode(bytes);
  }
}
