/**
 * Reading chunks without zarrita when the codec chain is one bfio knows: raw little-endian bytes, alone or
 * then zstd, no sharding, no filters (what bfio, zarr-python and ome-zarr-py write with zstd). The chunk
 * file is then read and decoded on a codec worker, and the main thread only places pixels: no compressed
 * copy and no codec work on the event loop. Any other chain goes through zarrita's `getChunk`.
 */

import { endianness } from 'node:os';
import { join } from 'node:path';
import type { DecodedChunk } from './chunk-cache.js';
import { type CodecPool, MISSING } from './codec-pool.js';

type NumericCtor =
  | Uint8ArrayConstructor
  | Int8ArrayConstructor
  | Uint16ArrayConstructor
  | Int16ArrayConstructor
  | Uint32ArrayConstructor
  | Int32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor;

const V3_TYPES: Record<string, NumericCtor> = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
};

const V2_TYPES: Record<string, NumericCtor> = {
  '|u1': Uint8Array,
  '<u1': Uint8Array,
  '|i1': Int8Array,
  '<i1': Int8Array,
  '<u2': Uint16Array,
  '<i2': Int16Array,
  '<u4': Uint32Array,
  '<i4': Int32Array,
  '<f4': Float32Array,
  '<f8': Float64Array,
};

export interface DirectChunks {
  /** The array's directory. */
  dir: string;
  codec: 'zstd' | 'raw';
  Ctor: NumericCtor;
  shape: number[];
  stride: number[];
  elements: number;
  fill: number;
  /** Chunk coordinates → key relative to `dir`. */
  key: (coords: readonly number[]) => string;
}

function cStrides(shape: readonly number[]): number[] {
  const stride = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--)
    stride[i] = (stride[i + 1] as number) * (shape[i + 1] as number);
  return stride;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The direct plan for an array from its metadata document (`zarr.json` or `.zarray`), or undefined when
 * its chunks need zarrita (other codecs, sharding, big-endian, F order, non-numeric types).
 */
export function directChunks(
  meta: Record<string, unknown>,
  format: 2 | 3,
  dir: string,
  fillValue: unknown,
): DirectChunks | undefined {
  if (endianness() !== 'LE') return undefined;
  const fill = typeof fillValue === 'number' ? fillValue : fillValue == null ? 0 : undefined;
  if (fill === undefined) return undefined;
  let codec: 'zstd' | 'raw';
  let Ctor: NumericCtor | undefined;
  let shape: unknown;
  let key: DirectChunks['key'];
  if (format === 3) {
    Ctor = V3_TYPES[String(meta.data_type)];
    const grid = meta.chunk_grid;
    if (!isObject(grid) || grid.name !== 'regular' || !isObject(grid.configuration)) return undefined;
    shape = grid.configuration.chunk_shape;
    const transformers = meta.storage_transformers;
    if (Array.isArray(transformers) && transformers.length > 0) return undefined;
    const codecs = meta.codecs;
    if (!Array.isArray(codecs) || codecs.length < 1 || codecs.length > 2) return undefined;
    const [bytes, compressor] = codecs as unknown[];
    if (!isObject(bytes) || bytes.name !== 'bytes') return undefined;
    const endian = isObject(bytes.configuration) ? bytes.configuration.endian : undefined;
    if (endian !== 'little' && !(endian === undefined && Ctor?.BYTES_PER_ELEMENT === 1)) return undefined;
    if (compressor === undefined) codec = 'raw';
    else if (isObject(compressor) && compressor.name === 'zstd') codec = 'zstd';
    else return undefined;
    const encoding = meta.chunk_key_encoding;
    if (!isObject(encoding)) return undefined;
    const sep = isObject(encoding.configuration) ? encoding.configuration.separator : undefined;
    if (encoding.name === 'default') {
      const s = sep === undefined ? '/' : sep;
      if (s !== '/' && s !== '.') return undefined;
      key = (coords) => ['c', ...coords].join(s);
    } else if (encoding.name === 'v2') {
      const s = sep === undefined ? '.' : sep;
      if (s !== '/' && s !== '.') return undefined;
      key = (coords) => (coords.length ? coords.join(s) : '0');
    } else return undefined;
  } else {
    Ctor = V2_TYPES[String(meta.dtype)];
    shape = meta.chunks;
    if (meta.order !== 'C') return undefined;
    if (Array.isArray(meta.filters) ? meta.filters.length > 0 : meta.filters != null) return undefined;
    const compressor = meta.compressor;
    if (compressor == null) codec = 'raw';
    else if (isObject(compressor) && compressor.id === 'zstd') codec = 'zstd';
    else return undefined;
    const sep = meta.dimension_separator ?? '.';
    if (sep !== '/' && sep !== '.') return undefined;
    key = (coords) => (coords.length ? coords.join(sep) : '0');
  }
  if (!Ctor || !Array.isArray(shape) || !shape.every((n) => Number.isInteger(n) && n > 0)) return undefined;
  const chunkShape = shape as number[];
  return {
    dir,
    codec,
    Ctor,
    shape: chunkShape,
    stride: cStrides(chunkShape),
    elements: chunkShape.reduce((a, b) => a * b, 1),
    fill,
    key,
  };
}

/** A chunk without file: the array's fill value everywhere. */
export function fillChunk(plan: DirectChunks): DecodedChunk {
  const data = new plan.Ctor(plan.elements);
  if (plan.fill !== 0) data.fill(plan.fill);
  return { data, shape: plan.shape, stride: plan.stride };
}

/** Reads and decodes one chunk on a worker of `pool`. */
export async function loadDirect(
  pool: CodecPool,
  plan: DirectChunks,
  coords: readonly number[],
  spare?: (bytes: number) => ArrayBuffer | undefined,
): Promise<DecodedChunk> {
  const bytes = plan.elements * plan.Ctor.BYTES_PER_ELEMENT;
  const dest = plan.codec === 'zstd' ? spare?.(bytes) : undefined;
  const out = await pool.readChunk(join(plan.dir, plan.key(coords)), plan.codec, bytes, dest);
  if (out === MISSING) return fillChunk(plan);
  return {
    data: new plan.Ctor(out.buffer as ArrayBuffer, out.byteOffset, plan.elements),
    shape: plan.shape,
    stride: plan.stride,
  };
}
