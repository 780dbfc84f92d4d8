/**
 * The block iterator: every Z,Y,X block of a volume, one channel and timepoint at a time, read ahead in
 * batches into memory the iterator reuses. Blocks come in groups (aligned boxes of up to 32 MiB of blocks,
 * each box's whole blocks in Z,Y,X order, then its blocks cut by the volume's edge); `block.region` says
 * where each lies. A loop over a 3-D volume by blocks (light-sheet, EM) otherwise
 * pays, per block, a fresh result (zero-filled, page-faulted, garbage-collected), a copy into it and a
 * message to a codec worker: ~0.25 ms of main-thread CPU per 64³ uint16 block, more than a C++ reader's
 * whole overhead (bench/RESULTS.md, 3-D Zarr). Here consecutive blocks of the same shape are read as one
 * batch (`ReaderBackend.readRegions`: a Zarr shard's chunks stored back to back are then read and decoded by
 * one worker task), into one of a few shared buffers, and each block is handed out as a view of it.
 *
 * A yielded block's `data` is valid until the iterator is advanced: its memory then holds a later batch.
 * Copy it (`block.data.data.slice()`) to keep it.
 */
import { type Region, regionLength } from './backend.js';
import { bytesPerPixel, type TypedArray, viewAs } from './dtype.js';
import { InvalidDataError } from './errors/index.js';
import { NDArray, planarStrides } from './ndarray.js';
import { toList } from './region.js';
import { sharedMemory } from './shared-outputs.js';
import type { IteratedImage } from './tile-iterator.js';

export interface BlockOptions {
  /** Block edge along Z, Y and X; blocks at the volume's far edges are cut to it. */
  shape: [z: number, y: number, x: number];
  /** Channels to visit (default all); each block holds one. */
  C?: number[];
  /** Timepoints to visit (default all); each block holds one. */
  T?: number[];
  /**
   * Bytes of blocks read ahead of the one the consumer holds (default 64 MiB): about that much memory is
   * reused for the whole iteration, plus one batch.
   */
  aheadBytes?: number;
  signal?: AbortSignal;
}

/** Where a block lies: Z, Y, X half-open ranges, one channel, one timepoint. */
export interface BlockRegion {
  Z: [number, number];
  Y: [number, number];
  X: [number, number];
  C: number;
  T: number;
}

export interface Block {
  region: BlockRegion;
  /** Y, X, Z (squeezed like `read`'s result): valid until the iterator is advanced. */
  data: NDArray;
}

/** What the iterator needs of a reader (BioReader satisfies it; this module does not import it). */
export interface BlockSource extends IteratedImage {
  /** The most bytes one block may have (what one read may allocate). */
  readonly maxBlockBytes: number;
  /** Fills `out` with `regions` (all of one shape) back to back, region i at element i × regionLength. */
  readBatch(regions: readonly Region[], out: TypedArray, signal?: AbortSignal): Promise<void>;
}

/** The most bytes of blocks one batch holds: a 256³ uint16 shard's worth (64 blocks of 64³). */
const BATCH_BYTES = 32 * 2 ** 20;
const DEFAULT_AHEAD_BYTES = 64 * 2 ** 20;

function checkShape(shape: unknown, file: string): [number, number, number] {
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((n) => Number.isInteger(n) && n > 0))
    throw new InvalidDataError(
      `blocks: shape must be [z, y, x] with positive integers, got ${JSON.stringify(shape)}`,
      file,
    );
  return shape as [number, number, number];
}

interface Batch {
  regions: Region[];
  blocks: BlockRegion[];
  /** Elements per block. */
  length: number;
}

/** A group's blocks as batches: consecutive blocks of one shape, at most `BATCH_BYTES` together (at least one). */
function batchesOf(blocks: BlockRegion[], bpp: number): Batch[] {
  const out: Batch[] = [];
  let current: Batch | undefined;
  for (const b of blocks) {
    const region: Region = { x: b.X, y: b.Y, z: b.Z, c: [b.C], t: [b.T] };
    const length = regionLength(region);
    const sameShape = current !== undefined && shapeKey(current.blocks[0]!) === shapeKey(b);
    if (!current || !sameShape || (current.blocks.length + 1) * length * bpp > BATCH_BYTES) {
      current = { regions: [], blocks: [], length };
      out.push(current);
    }
    current.regions.push(region);
    current.blocks.push(b);
  }
  return out;
}

/**
 * Every batch, group by group, made as they are asked for (a volume of millions of blocks is never listed
 * whole): groups are aligned boxes of blocks, as cubic as the grid allows and at most `BATCH_BYTES` of whole
 * blocks (a 256³ box of 64³ blocks: a shard of the usual layout, whose chunks a store keeps together), the
 * boxes in Z,Y,X order; in a box, its whole blocks in Z,Y,X order, then the ones the volume's edge cuts,
 * by shape (a batch holds one shape).
 */
function* allBatches(
  source: BlockSource,
  [ez, ey, ex]: [number, number, number],
  cs: number[],
  ts: number[],
): Generator<Batch> {
  const bpp = bytesPerPixel(source.dtype);
  const counts = [Math.ceil(source.Z / ez), Math.ceil(source.Y / ey), Math.ceil(source.X / ex)];
  const group = groupShape(counts, Math.floor(BATCH_BYTES / (ez * ey * ex * bpp)));
  const [gz, gy, gx] = group.map((g, i) => g * [ez, ey, ex][i]!) as [number, number, number];
  for (const t of ts)
    for (const c of cs)
      for (let z0 = 0; z0 < source.Z; z0 += gz)
        for (let y0 = 0; y0 < source.Y; y0 += gy)
          for (let x0 = 0; x0 < source.X; x0 += gx) {
            const whole: BlockRegion[] = [];
            const cut: BlockRegion[] = [];
            for (let z = z0; z < Math.min(z0 + gz, source.Z); z += ez)
              for (let y = y0; y < Math.min(y0 + gy, source.Y); y += ey)
                for (let x = x0; x < Math.min(x0 + gx, source.X); x += ex) {
                  const block: BlockRegion = {
                    Z: [z, Math.min(z + ez, source.Z)],
                    Y: [y, Math.min(y + ey, source.Y)],
                    X: [x, Math.min(x + ex, source.X)],
                    C: c,
                    T: t,
                  };
                  const full = block.Z[1] - z === ez && block.Y[1] - y === ey && block.X[1] - x === ex;
                  (full ? whole : cut).push(block);
                }
            cut.sort((a, b) => shapeKey(a).localeCompare(shapeKey(b)));
            yield* batchesOf(whole, bpp);
            yield* batchesOf(cut, bpp);
          }
}

/**
 * Blocks per group along Z, Y, X: about `most` blocks in all, spread evenly over the axes the grid has more
 * than one block along (`counts`), none more than the grid has.
 */
function groupShape(counts: number[], most: number): [number, number, number] {
  const group = [1, 1, 1];
  let room = Math.max(1, most);
  // Axes with room to grow, fewest blocks first: a short axis takes what it has, the rest share the remainder.
  const axes = [0, 1, 2].filter((i) => counts[i]! > 1).sort((a, b) => counts[a]! - counts[b]!);
  axes.forEach((axis, k) => {
    const share = Math.max(1, Math.floor(room ** (1 / (axes.length - k)) + 1e-9));
    group[axis] = Math.min(counts[axis]!, share);
    room = Math.max(1, Math.floor(room / group[axis]!));
  });
  return group as [number, number, number];
}

const shapeKey = (b: BlockRegion) => sizeOf(b).join(',');

const sizeOf = (b: BlockRegion) => [b.Z[1] - b.Z[0], b.Y[1] - b.Y[0], b.X[1] - b.X[0]];

export async function* iterateBlocks(source: BlockSource, options: BlockOptions): AsyncGenerator<Block> {
  const file = source.path;
  const [ez, ey, ex] = checkShape(options.shape, file);
  const cs = toList('C', options.C, source.C, file);
  const ts = toList('T', options.T, source.T, file);
  const bpp = bytesPerPixel(source.dtype);
  const blockBytes = ez * ey * ex * bpp;
  if (blockBytes > source.maxBlockBytes)
    throw new InvalidDataError(
      `blocks: a ${ez} × ${ey} × ${ex} block of ${file} is ${blockBytes} bytes, more than a read may allocate (${source.maxBlockBytes}: ReadOptions.maxBytes or BFIO_MAX_READ_BYTES); choose a smaller shape`,
      file,
    );
  const ahead = Math.max(0, options.aheadBytes ?? DEFAULT_AHEAD_BYTES);
  // Reads stop when the consumer stops (break, throw) or the caller aborts.
  const stop = new AbortController();
  const onAbort = () => stop.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  /** Buffers handed back once the consumer is past every block of their batch, by byte length. */
  const free = new Map<number, ArrayBufferLike[]>();
  // Shared memory where there is any: the codec workers then place the pixels themselves.
  const take = (bytes: number): ArrayBufferLike =>
    free.get(bytes)?.pop() ??
    (typeof SharedArrayBuffer === 'function' ? sharedMemory(bytes) : new ArrayBuffer(bytes));
  const give = (buffer: ArrayBufferLike) => {
    const list = free.get(buffer.byteLength) ?? [];
    list.push(buffer);
    free.set(buffer.byteLength, list);
  };
  interface Started {
    batch: Batch;
    buffer: ArrayBufferLike;
    done: Promise<void>;
  }
  const inFlight: Started[] = [];
  const batches = allBatches(source, [ez, ey, ex], cs, ts);
  let pending = batches.next();
  let aheadNow = 0;
  const start = () => {
    const batch = pending.value as Batch;
    pending = batches.next();
    const bytes = batch.regions.length * batch.length * bpp;
    const buffer = take(bytes);
    const out = viewAs(source.dtype, buffer, 0, batch.regions.length * batch.length);
    const done = source.readBatch(batch.regions, out, stop.signal);
    // Failures surface when the batch's turn comes (never as unhandled rejections before that).
    done.catch(() => {});
    inFlight.push({ batch, buffer, done });
    aheadNow += bytes;
  };
  try {
    while (inFlight.length > 0 || !pending.done) {
      // Keep `ahead` bytes of batches in flight beyond the one being handed out (at least one batch).
      while (!pending.done && (inFlight.length === 0 || aheadNow < ahead + bytesOf(inFlight[0]!))) start();
      const current = inFlight.shift()!;
      await current.done;
      options.signal?.throwIfAborted();
      aheadNow -= bytesOf(current);
      const { batch, buffer } = current;
      for (let i = 0; i < batch.blocks.length; i++) {
        options.signal?.throwIfAborted();
        const b = batch.blocks[i]!;
        const [nz, ny, nx] = sizeOf(b);
        const view = viewAs(source.dtype, buffer, i * batch.length * bpp, batch.length);
        const data = new NDArray(view, [ny!, nx!, nz!, 1, 1], planarStrides(ny!, nx!, nz!, 1));
        yield { region: b, data: data.squeezeTrailing() };
      }
      // The consumer has moved past the batch's last block: its memory takes a later batch.
      give(buffer);
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    if (inFlight.length > 0) {
      stop.abort(new Error('the block iterator was closed'));
      await Promise.allSettled(inFlight.map((s) => s.done));
    }
  }
}

const bytesOf = (s: { buffer: ArrayBufferLike }) => s.buffer.byteLength;
