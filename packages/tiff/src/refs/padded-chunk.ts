/**
 * A chunk whose stored block is shorter than the chunk (the last strip of an image whose height is not a
 * multiple of RowsPerStrip, an uncompressed block cut short): Zarr needs every chunk whole, so this one is
 * decoded, padded with zeros and encoded again with the array's own codecs, to be stored inline in the
 * references. Everything else stays a reference to the file's bytes.
 */
import { applyHorizontal, copyBlock, runHere, swapBytes } from '@bfio/codecs';
import { allocate, type DType, UnsupportedError } from '@bfio/core';
import type { TiffReader } from '../reader/tiff-reader.js';
import { encodeTile } from '../writer/codecs.js';
import type { ChunkCodecs } from './zarr-codec.js';

export interface PaddedChunkRequest {
  reader: TiffReader;
  series: number;
  level: number;
  dtype: DType;
  /** Bytes per sample in the file and its byte order (the chunk is written in it). */
  itemSize: number;
  littleEndian: boolean;
  t: number;
  c: number;
  z: number;
  /** The chunk's pixel window: rows y0..y0+validRows of the chunk's `rows` rows, columns x0..x0+cols. */
  x0: number;
  y0: number;
  cols: number;
  validCols: number;
  rows: number;
  validRows: number;
  codecs: ChunkCodecs;
}

/** PackBits as literal runs only: valid for any decoder, and these chunks are one per image edge. */
function packBitsLiteral(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length + Math.ceil(bytes.length / 128));
  let o = 0;
  for (let i = 0; i < bytes.length; i += 128) {
    const n = Math.min(128, bytes.length - i);
    out[o++] = n - 1;
    out.set(bytes.subarray(i, i + n), o);
    o += n;
  }
  return out.subarray(0, o);
}

/** The encoded bytes of one padded chunk, ready to store inline. */
export async function paddedChunk(q: PaddedChunkRequest): Promise<Uint8Array> {
  const filter = q.codecs.filters?.[0]?.id;
  if (filter === 'imagecodecs_floatpred') {
    throw new UnsupportedError(
      `${q.reader.path}: a short last strip with the floating-point predictor cannot be padded into a whole chunk`,
      q.reader.path,
    );
  }
  const region = allocate(q.dtype, q.validRows * q.validCols);
  await q.reader.readRegion(
    { series: q.series, level: q.level },
    {
      x: [q.x0, q.x0 + q.validCols],
      y: [q.y0, q.y0 + q.validRows],
      z: [q.z, q.z + 1],
      c: [q.c],
      t: [q.t],
    },
    region,
  );
  const chunk = allocate(q.dtype, q.rows * q.cols);
  copyBlock(region as never, 0, [q.validCols, 1], chunk as never, 0, [q.cols, 1], [q.validRows, q.validCols]);
  // imagecodecs' delta: horizontal differencing per row in the samples' own (wrapping) integer type.
  if (filter === 'imagecodecs_delta') applyHorizontal(chunk, q.cols, 1);
  const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (!q.littleEndian && q.itemSize > 1) swapBytes(bytes, q.itemSize);
  switch (q.codecs.compressor?.id) {
    case undefined:
      return bytes;
    case 'zlib':
      return encodeTile(bytes, {
        codec: 'deflate',
        level: 6,
        predictor: 1,
        dtype: 'uint8',
        tileWidth: q.cols,
      });
    case 'imagecodecs_zstd':
      return encodeTile(bytes, { codec: 'zstd', level: 3, predictor: 1, dtype: 'uint8', tileWidth: q.cols });
    case 'imagecodecs_lzw':
      return runHere('lzw-encode', bytes);
    case 'imagecodecs_packbits':
      return packBitsLiteral(bytes);
    default:
      throw new UnsupportedError(
        `${q.reader.path}: a short block compressed with ${q.codecs.compressor?.id} cannot be padded into a whole chunk`,
        q.reader.path,
      );
  }
}
