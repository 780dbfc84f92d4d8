/**
 * Decoding one TIFF block (tile or strip) into native-endian samples of the page's dtype:
 * decompress (node:zlib for Deflate and our LZW, on @bfio/core's WorkerPool, else libuv's pool / this
 * thread; geotiff's decoders for JPEG and zstd; PackBits here), undo the byte order, the predictor and any
 * bit packing.
 */
import { promisify } from 'node:util';
import { inflate } from 'node:zlib';
import {
  allocate,
  type CodecParams,
  CorruptFileError,
  type TypedArray,
  UnsupportedError,
  type WorkerPool,
} from '@bfio/core';
import { getDecoder } from 'geotiff';
import { decodeJpeg, jpegNative } from '../jpeg-native.mjs';
import { lzwDecode } from '../lzw-codec.mjs';
import { zstdNative } from '../zstd-native.mjs';
import type { TiffPage } from './tiff-file.js';

const inflateAsync = promisify(inflate);

/** How blocks are decoded: Deflate on a worker pool (with byte swap and predictor there too), or on libuv's. */
export interface DecodeOptions {
  pool?: WorkerPool;
  /** How messages name the block, e.g. "tile 12 of the IFD at byte 4096". */
  block?: string;
  /** A buffer the worker may write the result into (moved to it; see WorkerPool's `spare`). */
  spare?: ArrayBuffer;
}

/** The result of decompression, and which of the following steps were already done (on a worker). */
interface Decompressed {
  bytes: Uint8Array;
  swapped?: boolean;
  unpredicted?: boolean;
  /** JPEG already converted from YCbCr to RGB (libjpeg-turbo does it). */
  rgb?: boolean;
}

/** Corrupt Deflate data may not make zlib allocate more than this multiple of the block (plus slack). */
const INFLATE_LIMIT = (expected: number) => expected * 4 + (1 << 20);

export const COMPRESSION_NAMES: Record<number, string> = {
  1: 'none',
  5: 'lzw',
  6: 'old-jpeg',
  7: 'jpeg',
  8: 'deflate',
  32773: 'packbits',
  32946: 'deflate',
  34887: 'lerc',
  34925: 'lzma',
  50000: 'zstd',
  50001: 'webp',
};

export function compressionName(code: number): string {
  return COMPRESSION_NAMES[code] ?? `compression ${code}`;
}

const SUPPORTED = new Set([1, 5, 7, 8, 32773, 32946, 50000]);

/** Why a page's compression cannot be decoded, or undefined when it can. */
export function compressionProblem(page: TiffPage): string | undefined {
  if (!SUPPORTED.has(page.compression))
    return `${compressionName(page.compression)} compression is not supported`;
  if (page.compression === 7 && page.bitsPerSample !== 8)
    return `${page.bitsPerSample}-bit JPEG is not supported`;
  if (page.predictor !== 1 && page.predictor !== 2 && page.predictor !== 3)
    return `predictor ${page.predictor}`;
  if (page.fillOrder === 2 && page.bitsPerSample !== 8) return 'FillOrder 2 (LSB first) with packed bits';
  return undefined;
}

type GeoDecoder = { decodeBlock(buffer: ArrayBuffer): ArrayBuffer | Promise<ArrayBuffer> };
const decoders = new Map<string, Promise<GeoDecoder>>();

function geotiffDecoder(page: TiffPage): Promise<GeoDecoder> {
  // JPEG decoders hold the file's JPEGTables; key them by page so tables never leak between files.
  const key =
    page.compression === 7 ? `7:${page.offset}:${page.jpegTables?.length ?? 0}` : String(page.compression);
  let d = decoders.get(key);
  if (!d) {
    d = getDecoder(page.compression, {
      tileWidth: page.blockWidth,
      tileHeight: page.blockHeight,
      predictor: 1,
      bitsPerSample: page.bitsPerSample,
      planarConfiguration: page.planar,
      ...(page.jpegTables ? { JPEGTables: page.jpegTables } : {}),
    } as never) as unknown as Promise<GeoDecoder>;
    if (page.compression !== 7) decoders.set(key, d);
  }
  return d;
}

/** geotiff's decoder (zstd; JPEG without the native decoder: ±1 from libjpeg-turbo on a few % of pixels). */
async function geotiffDecode(page: TiffPage, raw: Uint8Array): Promise<Decompressed> {
  const decoder = await geotiffDecoder(page);
  const copy = raw.slice().buffer;
  return { bytes: new Uint8Array(await decoder.decodeBlock(copy)) };
}

/** PackBits (Macintosh RLE), decoding at most `limit` bytes: corrupt runs cannot make it grow unbounded. */
function unpackBits(src: Uint8Array, limit: number): Uint8Array {
  const out = new Uint8Array(limit);
  let o = 0;
  let i = 0;
  // A run past the block's size means the data is not this block's PackBits stream (garbage, or another
  // block's bytes): an error, as imagecodecs (tifffile) makes it, never a silently cut run.
  const overrun = () =>
    new Error(`PackBits data decodes past the block's ${limit} bytes (at input byte ${i})`);
  while (i < src.length && o < limit) {
    const n = (src[i]! << 24) >> 24;
    i++;
    if (n >= 0) {
      const end = Math.min(i + n + 1, src.length);
      if (o + (end - i) > limit) throw overrun();
      out.set(src.subarray(i, end), o);
      o += end - i;
      i = end;
    } else if (n !== -128) {
      if (o + 1 - n > limit) throw overrun();
      const v = src[i++]!;
      out.fill(v, o, o + 1 - n);
      o += 1 - n;
    }
  }
  return o === limit ? out : out.subarray(0, o);
}

/** Decompresses one block (on this thread when `options` has no pool: bytes as stored, no swap or predictor). */
export async function decompress(
  file: string,
  page: TiffPage,
  raw: Uint8Array,
  offset: number,
  expected: number,
  littleEndian: boolean,
  options: DecodeOptions,
): Promise<Decompressed> {
  try {
    switch (page.compression) {
      case 1:
        return { bytes: raw };
      case 8:
      case 32946: {
        // One output buffer of the block's size: zlib's default 16 KiB chunks cost a concatenation and
        // (async) one thread-pool round trip per chunk, which halves throughput on big tiles.
        // A little more than the block: when the buffer fills exactly, zlib goes round once more to find the end.
        const zopts = { chunkSize: expected + 64, maxOutputLength: INFLATE_LIMIT(expected) };
        if (options.pool) {
          return await inflateOnPool(options.pool, page, raw, expected, littleEndian, options.spare);
        }
        const b = await inflateAsync(raw, zopts);
        return { bytes: new Uint8Array(b.buffer, b.byteOffset, b.byteLength) };
      }
      case 32773:
        return { bytes: unpackBits(raw, expected) };
      case 7: {
        const addon = jpegNative();
        if (!addon) return await geotiffDecode(page, raw);
        if (!options.pool)
          return { bytes: decodeJpeg(addon, raw, page.jpegTables, page.photometric, expected), rgb: true };
        const whole = raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength;
        const params = { tables: page.jpegTables, photometric: page.photometric, expected };
        return {
          bytes: await options.pool.run('tiff-jpeg-decode', raw, params, { transfer: whole }),
          rgb: true,
        };
      }
      case 50000: {
        const zstd = zstdNative();
        if (!zstd) return await geotiffDecode(page, raw);
        if (!options.pool) {
          // On this thread, but the same native decoder (geotiff's JS one turns some garbage into pixels).
          const out = zstd.decompress(raw);
          if (out.length > expected)
            throw new Error(`the block decodes to ${out.length} bytes, more than its ${expected}`);
          return { bytes: out };
        }
        // Native zstd on a worker (the same addon as the Zarr backend's).
        const whole = raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength;
        return { bytes: await options.pool.run('tiff-zstd-decode', raw, { expected }, { transfer: whole }) };
      }
      case 5: {
        if (!options.pool) return { bytes: lzwDecode(raw, expected) };
        // On a worker (worker-codecs.mjs): `raw` is a fresh read of this block only, moved there.
        const whole = raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength;
        return { bytes: await options.pool.run('tiff-lzw-decode', raw, { expected }, { transfer: whole }) };
      }
      default:
        return await geotiffDecode(page, raw);
    }
  } catch (err) {
    if (err instanceof UnsupportedError) throw err;
    throw new CorruptFileError(
      file,
      `${options.block ?? `a ${page.tiled ? 'tile' : 'strip'}`} (${compressionName(page.compression)}) could not be decoded (${String((err as Error)?.message ?? err)}); the file is damaged: restore it from a good copy`,
      offset,
      err,
    );
  }
}

/**
 * Worker params for inflating a block of `page` whose samples also get byte swap and horizontal predictor
 * undone in the worker; `done` says which of those the worker does (blocks that are not whole rows of
 * whole-byte samples, or use the floating-point predictor, keep those steps here).
 */
export function inflateParams(
  page: TiffPage,
  expected: number,
  littleEndian: boolean,
): { params: CodecParams; swapped: boolean; unpredicted: boolean; complete: boolean } {
  const bits = page.bitsPerSample;
  const size = bits / 8;
  const params: CodecParams = { outputSize: expected, maxOutputLength: INFLATE_LIMIT(expected) };
  const filterable =
    (bits === 8 || bits === 16 || bits === 32 || bits === 64) && page.predictor !== 3 && page.fillOrder === 1;
  let swapped = false;
  let unpredicted = false;
  if (filterable) {
    if (size > 1 && !littleEndian) {
      params.swap = size;
      swapped = true;
    }
    if (page.predictor === 2 && size <= 4) {
      const spb = page.planar === 2 ? 1 : page.samplesPerPixel;
      params.horizontal = { size: size as 1 | 2 | 4, rowLength: page.blockWidth * spb, stride: spb };
      unpredicted = true;
    }
  }
  // Complete: the worker's bytes are the final native samples (no float16 widening or predictor left).
  const complete =
    filterable &&
    (page.predictor === 1 || unpredicted) &&
    !(page.sampleFormat === 3 && bits === 16) &&
    (page.compression === 8 || page.compression === 32946);
  return { params, swapped, unpredicted, complete };
}

/** Inflate on a worker; whole-byte samples also get their byte swap and horizontal predictor undone there. */
async function inflateOnPool(
  pool: WorkerPool,
  page: TiffPage,
  raw: Uint8Array,
  expected: number,
  littleEndian: boolean,
  spare?: ArrayBuffer,
): Promise<Decompressed> {
  const { params, swapped, unpredicted } = inflateParams(page, expected, littleEndian);
  // `raw` is a fresh read of this block only: move it to the worker rather than copy it.
  const whole = raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength;
  const bytes = await pool.run('inflate', raw, params, { transfer: whole, spare });
  return { bytes, swapped, unpredicted };
}

function swapBytes(bytes: Uint8Array, size: number): void {
  if (size === 2) {
    for (let i = 0; i + 1 < bytes.length; i += 2) {
      const a = bytes[i]!;
      bytes[i] = bytes[i + 1]!;
      bytes[i + 1] = a;
    }
  } else if (size === 4) {
    for (let i = 0; i + 3 < bytes.length; i += 4) {
      const a = bytes[i]!;
      const b = bytes[i + 1]!;
      bytes[i] = bytes[i + 3]!;
      bytes[i + 1] = bytes[i + 2]!;
      bytes[i + 2] = b;
      bytes[i + 3] = a;
    }
  } else if (size === 8) {
    for (let i = 0; i + 7 < bytes.length; i += 8) {
      for (let k = 0; k < 4; k++) {
        const a = bytes[i + k]!;
        bytes[i + k] = bytes[i + 7 - k]!;
        bytes[i + 7 - k] = a;
      }
    }
  }
}

/** Undo horizontal differencing on native-endian integer samples, row by row. */
function undoHorizontal(
  data: Uint8Array | Uint16Array | Uint32Array,
  rowLength: number,
  stride: number,
): void {
  const rows = Math.floor(data.length / rowLength);
  for (let r = 0; r < rows; r++) {
    const base = r * rowLength;
    for (let i = base + stride; i < base + rowLength; i++) data[i] = data[i]! + data[i - stride]!;
  }
}

/**
 * Undo the floating-point predictor (TIFF Technical Note 3): bytes are differenced across the row, and
 * each row stores the most significant bytes of all samples first. The result is native (little) endian.
 */
function undoFloatPredictor(bytes: Uint8Array, rowSamples: number, stride: number, size: number): Uint8Array {
  const rowBytes = rowSamples * size;
  const rows = Math.floor(bytes.length / rowBytes);
  const out = new Uint8Array(rows * rowBytes);
  for (let r = 0; r < rows; r++) {
    const row = bytes.subarray(r * rowBytes, (r + 1) * rowBytes);
    for (let i = stride; i < rowBytes; i++) row[i] = (row[i]! + row[i - stride]!) & 0xff;
    const dst = r * rowBytes;
    for (let i = 0; i < rowSamples; i++) {
      for (let b = 0; b < size; b++) out[dst + i * size + b] = row[(size - b - 1) * rowSamples + i]!;
    }
  }
  return out;
}

/** Unpack MSB-first packed samples (1..31 bits, rows padded to bytes) into whole-byte samples. */
function unpackInts(
  bytes: Uint8Array,
  bits: number,
  rowSamples: number,
  rows: number,
  out: TypedArray,
): void {
  const rowBytes = Math.ceil((rowSamples * bits) / 8);
  for (let r = 0; r < rows; r++) {
    let bitPos = r * rowBytes * 8;
    const o = r * rowSamples;
    for (let i = 0; i < rowSamples; i++) {
      let v = 0;
      for (let b = 0; b < bits; b++, bitPos++) {
        v = v * 2 + ((bytes[bitPos >> 3]! >> (7 - (bitPos & 7))) & 1);
      }
      out[o + i] = v;
    }
  }
}

function float16ToFloat32(h: Uint16Array): Float32Array {
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) {
    const v = h[i]!;
    const s = v & 0x8000 ? -1 : 1;
    const e = (v >> 10) & 0x1f;
    const f = v & 0x3ff;
    if (e === 0) out[i] = s * 2 ** -14 * (f / 1024);
    else if (e === 31) out[i] = f ? Number.NaN : s * Number.POSITIVE_INFINITY;
    else out[i] = s * 2 ** (e - 15) * (1 + f / 1024);
  }
  return out;
}

function reverseBitsInBytes(bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i++) {
    let b = bytes[i]!;
    b = ((b & 0xf0) >> 4) | ((b & 0x0f) << 4);
    b = ((b & 0xcc) >> 2) | ((b & 0x33) << 2);
    b = ((b & 0xaa) >> 1) | ((b & 0x55) << 1);
    bytes[i] = b;
  }
}

/** YCbCr (JFIF, full range) to RGB in place, for JPEG pages stored as YCbCr. */
function ycbcrToRgb(data: Uint8Array): void {
  for (let i = 0; i + 2 < data.length; i += 3) {
    const y = data[i]!;
    const cb = data[i + 1]! - 128;
    const cr = data[i + 2]! - 128;
    data[i] = Math.min(255, Math.max(0, Math.round(y + 1.402 * cr)));
    data[i + 1] = Math.min(255, Math.max(0, Math.round(y - 0.344136 * cb - 0.714136 * cr)));
    data[i + 2] = Math.min(255, Math.max(0, Math.round(y + 1.772 * cb)));
  }
}

/**
 * Decode block `raw` (read at byte `offset`) of `page` that covers `rows` rows of `page.blockWidth`
 * samples-per-row groups. Returns native samples of `page.dtype`: rows × blockWidth × (planar ? 1 : spp).
 */
export async function decodeBlock(
  file: string,
  page: TiffPage,
  raw: Uint8Array,
  offset: number,
  rows: number,
  littleEndian: boolean,
  validRows: number = rows,
  options: DecodeOptions = {},
): Promise<TypedArray> {
  const problem = compressionProblem(page);
  if (problem) throw new UnsupportedError(`${file}: ${problem}`, file);
  const dtype = page.dtype!;
  const spb = page.planar === 2 ? 1 : page.samplesPerPixel;
  const rowSamples = page.blockWidth * spb;
  const bits = page.bitsPerSample;
  const count = rows * rowSamples;
  const whole = bits === 8 || bits === 16 || bits === 32 || bits === 64;
  const rowBytes = whole ? rowSamples * (bits / 8) : Math.ceil((rowSamples * bits) / 8);
  const done = await decompress(file, page, raw, offset, rowBytes * rows, littleEndian, options);
  let bytes = done.bytes;
  if (page.fillOrder === 2 && bits === 8) {
    bytes = bytes === raw ? bytes.slice() : bytes;
    reverseBitsInBytes(bytes);
  }
  // Some writers store edge tiles cut to the image's last row; the missing rows are padding and read as 0.
  const minRows = Math.min(rows, Math.max(1, validRows));
  if (bytes.length < rowBytes * rows && bytes.length >= rowBytes * minRows) {
    const padded = new Uint8Array(rowBytes * rows);
    padded.set(bytes.subarray(0, Math.floor(bytes.length / rowBytes) * rowBytes));
    bytes = padded;
  }
  const needed = rowBytes * rows;
  if (bytes.length < needed) {
    throw new CorruptFileError(
      file,
      `${options.block ?? `a ${page.tiled ? 'tile' : 'strip'}`} (${compressionName(page.compression)}) decoded to ${bytes.length} bytes, ${needed} expected; the file is damaged: restore it from a good copy`,
      offset,
    );
  }
  if (!whole) {
    const out = allocate(dtype, count);
    unpackInts(bytes, bits, rowSamples, rows, out);
    if (page.predictor === 2 && !done.unpredicted) undoHorizontal(out as Uint8Array, rowSamples, spb);
    return out;
  }
  // Own the bytes (raw reads and zlib output are fresh; geotiff's are too) at an aligned offset.
  let own = bytes.byteOffset % 8 === 0 ? bytes.subarray(0, needed) : bytes.slice(0, needed);
  const size = bits / 8;
  if (page.predictor === 3) {
    if (page.sampleFormat !== 3)
      throw new CorruptFileError(file, 'floating-point predictor on integer samples', offset);
    own = undoFloatPredictor(own === raw ? own.slice() : own, rowSamples, spb, size);
  } else if (size > 1 && !littleEndian && !done.swapped) {
    if (own === raw) own = own.slice();
    swapBytes(own, size);
  }
  if (page.compression === 7 && page.photometric === 6 && spb === 3 && !done.rgb) ycbcrToRgb(own);
  if (page.sampleFormat === 3 && bits === 16) {
    const h = new Uint16Array(own.buffer, own.byteOffset, count);
    if (page.predictor === 2 && !done.unpredicted) undoHorizontal(h, rowSamples, spb);
    return float16ToFloat32(h);
  }
  if (page.predictor === 2 && !done.unpredicted) {
    const view =
      size === 1
        ? own
        : size === 2
          ? new Uint16Array(own.buffer, own.byteOffset, count)
          : size === 4
            ? new Uint32Array(own.buffer, own.byteOffset, count)
            : undefined;
    if (!view) throw new UnsupportedError(`${file}: horizontal predictor on 64-bit samples`, file);
    undoHorizontal(view, rowSamples, spb);
  }
  const ctor = allocate(dtype, 0).constructor as unknown as new (
    b: ArrayBufferLike,
    o: number,
    n: number,
  ) => TypedArray;
  return new ctor(own.buffer, own.byteOffset, count);
}
