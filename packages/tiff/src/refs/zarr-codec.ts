/**
 * How a TIFF page's blocks read as Zarr v2 chunks without copying: the numcodecs compressor and filters
 * that undo the TIFF's compression and predictor, the dtype in the file's byte order, or why no such
 * description exists (the caller refuses the file with that reason).
 */
import { compressionName } from '../reader/decode.js';
import type { TiffPage } from '../reader/tiff-file.js';

/** A numcodecs codec configuration (`{"id": ..., ...}`), as `.zarray` holds it. */
export type CodecConfig = Record<string, unknown> & { id: string };

/**
 * TIFF Compression → numcodecs id. `zlib` is numcodecs' own; the `imagecodecs_*` ids need
 * `imagecodecs.numcodecs.register_codecs()` on the reading side. TIFF's zstd goes to imagecodecs too:
 * numcodecs' Zstd refuses frames without a content size, which TIFF writers may produce.
 */
const COMPRESSORS: Record<number, string | null> = {
  1: null,
  5: 'imagecodecs_lzw',
  8: 'zlib',
  32946: 'zlib',
  32773: 'imagecodecs_packbits',
  50000: 'imagecodecs_zstd',
};

/** The Zarr v2 dtype (numpy typestr) of a page's samples in the file's byte order, or why there is none. */
export function zarrDtype(page: TiffPage, littleEndian: boolean): string | { problem: string } {
  const bits = page.bitsPerSample;
  if (bits !== 8 && bits !== 16 && bits !== 32 && bits !== 64) {
    return {
      problem: `its ${bits}-bit samples are packed across byte boundaries, and Zarr chunks hold whole-byte samples`,
    };
  }
  const kind =
    page.sampleFormat === 1 ? 'u' : page.sampleFormat === 2 ? 'i' : page.sampleFormat === 3 ? 'f' : '';
  if (!kind) return { problem: `SampleFormat ${page.sampleFormat} has no Zarr dtype` };
  if (kind === 'f' && bits === 8) return { problem: '8-bit floating point samples have no Zarr dtype' };
  const order = bits === 8 ? '|' : littleEndian ? '<' : '>';
  return `${order}${kind}${bits / 8}`;
}

export interface ChunkCodecs {
  compressor: CodecConfig | null;
  filters: CodecConfig[] | null;
}

/**
 * Compressor and filters that turn one stored block of `page` into the chunk's samples, given the chunk
 * shape and dtype (the predictor filters need both), or the reason the block cannot be read that way.
 */
export function chunkCodecs(
  page: TiffPage,
  chunks: number[],
  dtype: string,
): ChunkCodecs | { problem: string } {
  if (page.compression === 7 || page.compression === 6) {
    return {
      problem: page.jpegTables
        ? 'its JPEG tiles share a JPEGTables header stored once in the IFD, which a reference to a tile cannot include'
        : 'JPEG blocks decode to colours that depend on the decoder (YCbCr conversion, upsampling); a Zarr codec cannot promise tifffile’s pixels',
    };
  }
  const id = COMPRESSORS[page.compression];
  if (id === undefined) {
    return {
      problem: `${compressionName(page.compression)} compression has no Zarr (numcodecs/imagecodecs) codec`,
    };
  }
  if (page.fillOrder === 2) return { problem: 'FillOrder 2 (bits stored LSB first) has no Zarr codec' };
  let filters: CodecConfig[] | null = null;
  if (page.predictor === 2 || page.predictor === 3) {
    // imagecodecs' predictor codecs reshape the bytes to the chunk and undo the predictor along x.
    const filterId = page.predictor === 2 ? 'imagecodecs_delta' : 'imagecodecs_floatpred';
    if (page.predictor === 3 && page.sampleFormat !== 3) {
      return { problem: 'the floating-point predictor is set on integer samples' };
    }
    filters = [{ id: filterId, axis: -1, dist: 1, shape: chunks, dtype }];
  } else if (page.predictor !== 1) {
    return { problem: `predictor ${page.predictor} has no Zarr codec` };
  }
  return { compressor: id === null ? null : { id }, filters };
}
