/**
 * Reading chunks without zarrita when the codec chain is one bfio knows: raw little-endian bytes, alone or
 * then zstd, no filters (what bfio, zarr-python and ome-zarr-py write with zstd), also inside Zarr v3 shards
 * (`sharding_indexed` with such an inner chain). The chunk file (or the chunk's byte range in its shard,
 * found from the shard's index, read once per shard here) is then read and decoded on a codec worker, and
 * the main thread only places pixels: no compressed copy and no codec work on the event loop. Any other
 * chain goes through zarrita's `getChunk`.
 */

import { CodecError } from '@bfio/codecs';
import { isBfioError } from '@bfio/core';
import { fetchBytes, isRemote } from '@bfio/core/backend';
import { endianness, open, WORKERS_FETCH } from '#platform';
import type { DecodedChunk } from './chunk-cache.js';
import { chunkKeyEncoder } from './chunk-keys.js';
import { type CodecPool, MISSING, PoolUnavailable } from './codec-pool.js';
import { joinLocation } from './location.js';
import { crc32c } from './shard.js';

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
  /** Chunk coordinates → key relative to `dir` (of its shard, for a sharded array). */
  key: (coords: readonly number[]) => string;
  /** Sharded arrays: `shape` is then the shape of the chunks inside a shard. */
  shard?: ShardLayout;
  /** `dir` is an http(s) URL: chunk bytes are fetched here and decoded on a worker. */
  remote?: boolean;
  /** Strict reading: called for a chunk the store lacks, throws instead of letting the fill value stand. */
  absent?: (coords: readonly number[]) => never;
}

interface ShardLayout {
  /** Chunks per shard along each axis. */
  per: number[];
  /** Chunks per shard in all. */
  count: number;
  indexAtEnd: boolean;
  checksum: boolean;
  /** Shard key → its index (offset, length per chunk), null when the shard has no file. */
  indexes: Map<string, Promise<BigUint64Array | null>>;
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
  let shard: ShardLayout | undefined;
  if (format === 3) {
    Ctor = V3_TYPES[String(meta.data_type)];
    const grid = meta.chunk_grid;
    if (!isObject(grid) || grid.name !== 'regular' || !isObject(grid.configuration)) return undefined;
    shape = grid.configuration.chunk_shape;
    const transformers = meta.storage_transformers;
    if (Array.isArray(transformers) && transformers.length > 0) return undefined;
    let codecs = meta.codecs;
    const only = Array.isArray(codecs) && codecs.length === 1 ? codecs[0] : undefined;
    if (isObject(only) && only.name === 'sharding_indexed') {
      const layout = shardLayout(only.configuration, shape);
      if (!layout) return undefined;
      shard = layout.shard;
      shape = layout.inner;
      codecs = layout.codecs;
    }
    const chain = plainChain(codecs, Ctor?.BYTES_PER_ELEMENT === 1);
    if (!chain) return undefined;
    codec = chain;
    const fileKey = chunkKeyEncoder(meta, 3);
    if (!fileKey) return undefined;
    const per = shard?.per;
    key = per ? (coords) => fileKey(coords.map((c, i) => Math.floor(c / (per[i] as number)))) : fileKey;
  } else {
    Ctor = V2_TYPES[String(meta.dtype)];
    shape = meta.chunks;
    if (meta.order !== 'C') return undefined;
    if (Array.isArray(meta.filters) ? meta.filters.length > 0 : meta.filters != null) return undefined;
    const compressor = meta.compressor;
    if (compressor == null) codec = 'raw';
    else if (isObject(compressor) && compressor.id === 'zstd') codec = 'zstd';
    else return undefined;
    const fileKey = chunkKeyEncoder(meta, 2);
    if (!fileKey) return undefined;
    key = fileKey;
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
    shard,
  };
}

/** 'raw' or 'zstd' for a v3 chain [bytes (little-endian)] or [bytes, zstd]; undefined for any other. */
function plainChain(codecs: unknown, singleByte: boolean): 'raw' | 'zstd' | undefined {
  if (!Array.isArray(codecs) || codecs.length < 1 || codecs.length > 2) return undefined;
  const [bytes, compressor] = codecs as unknown[];
  if (!isObject(bytes) || bytes.name !== 'bytes') return undefined;
  const endian = isObject(bytes.configuration) ? bytes.configuration.endian : undefined;
  if (endian !== 'little' && !(endian === undefined && singleByte)) return undefined;
  if (compressor === undefined) return 'raw';
  if (isObject(compressor) && compressor.name === 'zstd') return 'zstd';
  return undefined;
}

/** The layout of `sharding_indexed` with an index bfio reads itself ([bytes] or [bytes, crc32c]). */
function shardLayout(
  config: unknown,
  shardShape: unknown,
): { shard: ShardLayout; inner: number[]; codecs: unknown } | undefined {
  if (!isObject(config) || !Array.isArray(shardShape)) return undefined;
  const inner = config.chunk_shape;
  if (!Array.isArray(inner) || inner.length !== shardShape.length) return undefined;
  const per: number[] = [];
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    const s = shardShape[i];
    if (!Number.isInteger(c) || c <= 0 || !Number.isInteger(s) || s % c !== 0) return undefined;
    per.push(s / c);
  }
  const indexCodecs = config.index_codecs ?? [
    { name: 'bytes', configuration: { endian: 'little' } },
    { name: 'crc32c' },
  ];
  if (!Array.isArray(indexCodecs) || indexCodecs.length < 1 || indexCodecs.length > 2) return undefined;
  const [bytes, check] = indexCodecs as unknown[];
  if (!isObject(bytes) || bytes.name !== 'bytes') return undefined;
  if (isObject(bytes.configuration) && bytes.configuration.endian !== 'little') return undefined;
  if (check !== undefined && !(isObject(check) && check.name === 'crc32c')) return undefined;
  const where = config.index_location ?? 'end';
  if (where !== 'end' && where !== 'start') return undefined;
  return {
    shard: {
      per,
      count: per.reduce((a, b) => a * b, 1),
      indexAtEnd: where === 'end',
      checksum: check !== undefined,
      indexes: new Map(),
    },
    inner,
    codecs: config.codecs,
  };
}

const EMPTY_ENTRY = 0xffffffffffffffffn;

/** Reads a shard's index (null when the shard has no file); a bad checksum or size throws. */
async function readIndex(path: string, layout: ShardLayout): Promise<BigUint64Array | null> {
  const length = layout.count * 16 + (layout.checksum ? 4 : 0);
  if (isRemote(path)) {
    const bytes = await fetchBytes(path, layout.indexAtEnd ? { suffix: length } : { offset: 0, length });
    return bytes ? parseIndex(path, bytes, layout) : null;
  }
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
  try {
    const size = (await handle.stat()).size;
    if (size < length) throw new Error(`shard ${path} has ${size} bytes, less than its index (${length})`);
    const bytes = new Uint8Array(length);
    const { bytesRead } = await handle.read(bytes, 0, length, layout.indexAtEnd ? size - length : 0);
    return parseIndex(path, bytes.subarray(0, bytesRead), layout);
  } finally {
    await handle.close();
  }
}

/** The (offset, length) entries of a shard index (`bytes`: the index as stored), its CRC32C checked. */
function parseIndex(path: string, bytes: Uint8Array, layout: ShardLayout): BigUint64Array {
  const length = layout.count * 16 + (layout.checksum ? 4 : 0);
  if (bytes.length !== length) throw new Error(`shard ${path}: index cut short`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (layout.checksum && crc32c(bytes.subarray(0, length - 4)) !== view.getUint32(length - 4, true))
    throw new Error(`shard ${path}: the index checksum does not match (corrupt shard)`);
  const entries = new BigUint64Array(layout.count * 2);
  for (let i = 0; i < entries.length; i++) entries[i] = view.getBigUint64(i * 8, true);
  return entries;
}

/**
 * Where chunk `coords` is: its file, and for a sharded array the byte range in its shard; undefined when it
 * has no data (the fill value stands for it).
 */
export async function chunkLocation(
  plan: DirectChunks,
  coords: readonly number[],
): Promise<{ path: string; range?: [number, number] } | undefined> {
  const path = joinLocation(plan.dir, plan.key(coords));
  const layout = plan.shard;
  if (!layout) return { path };
  let index = layout.indexes.get(path);
  if (!index) {
    // Indexes are small (16 bytes per chunk); a bound keeps a huge store's from piling up.
    if (layout.indexes.size >= 4096) layout.indexes.clear();
    index = readIndex(path, layout);
    layout.indexes.set(path, index);
    index.catch(() => layout.indexes.delete(path));
  }
  const entries = await index;
  if (!entries) return undefined;
  let slot = 0;
  for (let i = 0; i < coords.length; i++)
    slot = slot * (layout.per[i] as number) + ((coords[i] as number) % (layout.per[i] as number));
  const offset = entries[2 * slot] as bigint;
  const length = entries[2 * slot + 1] as bigint;
  if (offset === EMPTY_ENTRY && length === EMPTY_ENTRY) return undefined;
  // A garbage index entry must not size a read: a chunk is at most its decoded size plus zstd's overhead.
  const most = plan.elements * plan.Ctor.BYTES_PER_ELEMENT * 1.01 + 1024;
  if (offset >= 2n ** 53n || Number(length) > most) {
    throw new Error(
      `shard ${path}: its index gives chunk [${coords.join(',')}] ${length} bytes at byte ${offset}, more than a chunk can hold (the index is damaged)`,
    );
  }
  return { path, range: [Number(offset), Number(length)] };
}

/** Chunks stored back to back in one shard, in the order of their bytes: one read and one decode. */
export interface ShardRun {
  path: string;
  /** Byte offset and length of the whole run in the shard. */
  range: [number, number];
  chunks: number[][];
  /** Each chunk's encoded length, in the order of `chunks`. */
  lengths: number[];
}

/**
 * Groups `chunks` of a sharded array into runs of chunks whose bytes follow each other in their shard (as
 * zarr-python and bfio write them), each at most `maxBytes` decoded: one worker task then reads the run with one
 * read and decodes its frames one after another, instead of a task, a file open and a message per chunk (a
 * 256³ shard of 64³ chunks is 64 of them). Chunks in no run of two or more (absent, out of order) are `rest`.
 */
export async function shardRuns(
  plan: DirectChunks,
  chunks: readonly number[][],
  maxBytes: number,
): Promise<{ runs: ShardRun[]; rest: number[][] }> {
  const chunkBytes = plan.elements * plan.Ctor.BYTES_PER_ELEMENT;
  const perRun = Math.max(1, Math.floor(maxBytes / chunkBytes));
  const byShard = new Map<string, Array<{ coords: number[]; at: number; length: number }>>();
  const rest: number[][] = [];
  const where = await Promise.all(chunks.map((coords) => chunkLocation(plan, coords)));
  chunks.forEach((coords, i) => {
    const w = where[i];
    if (!w?.range) {
      rest.push(coords);
      return;
    }
    const list = byShard.get(w.path) ?? [];
    list.push({ coords, at: w.range[0], length: w.range[1] });
    byShard.set(w.path, list);
  });
  const runs: ShardRun[] = [];
  for (const [path, list] of byShard) {
    list.sort((a, b) => a.at - b.at);
    let i = 0;
    while (i < list.length) {
      let j = i + 1;
      let end = list[i]!.at + list[i]!.length;
      while (j < list.length && j - i < perRun && list[j]!.at === end) end += list[j++]!.length;
      if (j - i < 2) rest.push(list[i]!.coords);
      else
        runs.push({
          path,
          range: [list[i]!.at, end - list[i]!.at],
          chunks: list.slice(i, j).map((e) => e.coords),
          lengths: list.slice(i, j).map((e) => e.length),
        });
      i = j;
    }
  }
  return { runs, rest };
}

/** Chunk `coords`, which the store lacks: the fill value, unless reading is strict (then it throws). */
export function absentChunk(plan: DirectChunks, coords: readonly number[]): DecodedChunk {
  plan.absent?.(coords);
  return fillChunk(plan);
}

/** A chunk without file: the array's fill value everywhere. */
function fillChunk(plan: DirectChunks): DecodedChunk {
  const data = new plan.Ctor(plan.elements);
  if (plan.fill !== 0) data.fill(plan.fill);
  return { data, shape: plan.shape, stride: plan.stride };
}

/** A remote chunk's (compressed) bytes, or undefined when there is none (404/403: the fill value). */
export async function fetchChunk(where: {
  path: string;
  range?: [number, number];
}): Promise<Uint8Array | undefined> {
  try {
    return await fetchBytes(where.path, where.range && { offset: where.range[0], length: where.range[1] });
  } catch (err) {
    if (isBfioError(err)) throw err;
    throw new Error(`${where.path}: ${(err as Error).message}`);
  }
}

/**
 * How long a worker's own request may take in all. A failed or timed-out worker fetch is not an error: the
 * chunk is then fetched on the main thread (fetchWithRetry: retries, silence timeout, typed errors), so this
 * only bounds how long a stalled server can hold a worker.
 */
const WORKER_FETCH_TIMEOUT_MS = 30_000;

/**
 * The request a codec worker sends itself for a remote chunk (run-task's `params.fetch`): the whole object,
 * or its byte range in a shard. Undefined for an object-store URL (its requests are signed on this thread).
 */
export function workerRequest(where: {
  path: string;
  range?: [number, number];
}): { url: string; offset?: number; length?: number; timeoutMs: number } | undefined {
  if (!/^https?:\/\//i.test(where.path)) return undefined;
  const [offset, length] = where.range ?? [];
  return { url: where.path, offset, length, timeoutMs: WORKER_FETCH_TIMEOUT_MS };
}

/** Reads and decodes one chunk on a worker of `pool`. */
export async function loadDirect(
  pool: CodecPool,
  plan: DirectChunks,
  coords: readonly number[],
  spare?: (bytes: number) => ArrayBuffer | undefined,
): Promise<DecodedChunk> {
  const bytes = plan.elements * plan.Ctor.BYTES_PER_ELEMENT;
  const where = await chunkLocation(plan, coords);
  if (!where) return absentChunk(plan, coords);
  if (plan.remote) {
    // In a browser the worker fetches the chunk itself, so the page's thread only places the decoded pixels
    // (a page without shared memory; with it, zarr-reader's placeOnWorker has the worker place them too). A
    // missing object is the fill value; any other failure is fetched again below, with the retries.
    const request = WORKERS_FETCH ? workerRequest(where) : undefined;
    if (request) {
      try {
        const out = await pool.fetchChunk(request, plan.codec, bytes);
        return {
          data: new plan.Ctor(out.buffer as ArrayBuffer, out.byteOffset, plan.elements),
          shape: plan.shape,
          stride: plan.stride,
        };
      } catch (err) {
        if (err instanceof CodecError && err.code === 'ENOENT') return absentChunk(plan, coords);
        if (err instanceof PoolUnavailable) throw err;
      }
    }
    const raw = await fetchChunk(where);
    if (!raw) return absentChunk(plan, coords);
    const out = await pool.decodeChunk(raw, plan.codec, bytes);
    return {
      data: new plan.Ctor(out.buffer as ArrayBuffer, out.byteOffset, plan.elements),
      shape: plan.shape,
      stride: plan.stride,
    };
  }
  const dest = plan.codec === 'zstd' ? spare?.(bytes) : undefined;
  const out = await pool.readChunk(where.path, plan.codec, bytes, dest, where.range);
  if (out === MISSING) return absentChunk(plan, coords);
  return {
    data: new plan.Ctor(out.buffer as ArrayBuffer, out.byteOffset, plan.elements),
    shape: plan.shape,
    stride: plan.stride,
  };
}
