/**
 * Decoding one TIFF block (tile or strip) into native-endian samples of the page's dtype. Every codec takes
 * the same route through @bfio/codecs: decompress, then byte swap and horizontal predictor — on a pool
 * worker when there is a pool (the chain of run-task.mjs), else on this thread with the same table — and
 * here only what a worker cannot do: float16 widening, the floating-point predictor, bit unpacking, bit
 * reversal, and rows a short edge tile lacks.
 */

import {
  CodecError,
  type CodecParams,
  float16ToFloat32,
  reverseBits,
  runHere,
  swapBytes,
  undoFloatPredictor,
  undoHorizontal,
  unpackSamples,
  type WorkerPool,
} from '@bfio/codecs';
import { allocate, CorruptFileError, type TypedArray, UnsupportedError } from '@bfio/core';
import type { TiffPage } from './tiff-file.js';

/** How blocks are decoded: on a worker pool (filters there too), or on this thread. */
export interface DecodeOptions {
  pool?: WorkerPool;
  /** How messages name the block, e.g. "tile 12 of the IFD at byte 4096". */
  block?: string;
  /** A buffer the worker may write the result into (moved to it; see WorkerPool's `spare`). */
  spare?: ArrayBuffer;
  /**
   * With a pool: the worker fetches the block itself (run-task's `params.fetch`; `raw` is then ignored). A
   * failed request rejects with the worker's CodecError (`stage` 'fetch'), not a CorruptFileError: the
   * caller then reads the block its own way.
   */
  fetch?: CodecParams['fetch'];
}

/** The result of decompression, and which of the following steps were already done (on a worker). */
interface Decompressed {
  bytes: Uint8Array;
  swapped?: boolean;
  unpredicted?: boolean;
}

const NO_BYTES = new Uint8Array(0);

/** Corrupt Deflate data may not make zlib allocate more than this multiple of the block (plus slack). */
const INFLATE_LIMIT = (expected: number) => expected * 4 + (1 << 20);

/** The codec-table name of each supported TIFF compression. */
const CODEC: Record<number, string> = {
  1: 'raw',
  5: 'lzw-decode',
  7: 'jpeg-decode',
  8: 'inflate',
  32773: 'packbits-decode',
  32946: 'inflate',
  50000: 'zstd-decode',
};

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

/**
 * The codec task for a block of `page` that decodes to `expected` bytes: codec name and params, with byte
 * swap and horizontal predictor included when they can run in the chain (whole-byte samples, integer
 * predictor, normal fill order). `complete`: the chain's bytes are then the final native samples (no float16
 * widening or predictor left), so a worker may place them into shared memory itself.
 */
export function blockTask(
  page: TiffPage,
  expected: number,
  littleEndian: boolean,
): { codec: string; params: CodecParams; swapped: boolean; unpredicted: boolean; complete: boolean } {
  const codec = CODEC[page.compression] ?? 'raw';
  const bits = page.bitsPerSample;
  const size = bits / 8;
  const params: CodecParams = { outputSize: expected };
  if (codec === 'inflate') params.maxOutputLength = INFLATE_LIMIT(expected);
  if (codec === 'jpeg-decode') {
    params.tables = page.jpegTables;
    params.photometric = page.photometric;
    params.width = page.blockWidth;
    params.height = Math.round(expected / (page.blockWidth * (page.planar === 2 ? 1 : page.samplesPerPixel)));
  }
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
  const complete =
    filterable && (page.predictor === 1 || unpredicted) && !(page.sampleFormat === 3 && bits === 16);
  return { codec, params, swapped, unpredicted, complete };
}

/**
 * Decompresses one block, with byte swap and predictor done in the chain where they can be (see `blockTask`;
 * the result says which were). Uncompressed blocks stay on this thread as they are.
 */
export async function decompress(
  file: string,
  page: TiffPage,
  raw: Uint8Array,
  offset: number,
  expected: number,
  littleEndian: boolean,
  options: DecodeOptions,
): Promise<Decompressed> {
  if (page.compression === 1) return { bytes: raw };
  const { codec, params, swapped, unpredicted } = blockTask(page, expected, littleEndian);
  try {
    let bytes: Uint8Array;
    if (options.pool && options.fetch) {
      bytes = await options.pool.run(
        codec,
        NO_BYTES,
        { ...params, fetch: options.fetch },
        { spare: options.spare },
      );
    } else if (options.pool) {
      // `raw` is a fresh read of this block only: move it to the worker rather than copy it.
      const whole = raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength;
      bytes = await options.pool.run(codec, raw, params, { transfer: whole, spare: options.spare });
    } else {
      bytes = await runHere(codec, raw, params);
    }
    return { bytes, swapped, unpredicted };
  } catch (err) {
    if (err instanceof UnsupportedError) throw err;
    if (err instanceof CodecError && err.stage === 'fetch') throw err;
    throw new CorruptFileError(
      file,
      `${options.block ?? `a ${page.tiled ? 'tile' : 'strip'}`} (${compressionName(page.compression)}) could not be decoded (${String((err as Error)?.message ?? err)}); the file is damaged: restore it from a good copy`,
      offset,
      err,
    );
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
    reverseBits(bytes);
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
    unpackSamples(bytes, bits, rowSamples, rows, out);
    if (page.predictor === 2 && !done.unpredicted) undoHorizontal(out, rowSamples, spb);
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
