/**
 * Reading a rectangle of one TIFF page: only the blocks (tiles/strips) that intersect it are read and
 * decoded, each once even when several samples of a chunky page are wanted, a bounded number at a time.
 */
import {
  ChunkLane,
  CodecError,
  copyBlock,
  onSharedMemory,
  type RowsJob,
  type ScatterParams,
} from '@bfio/codecs';
import { CorruptFileError, type TypedArray } from '@bfio/core';
import type { Limiter } from '@bfio/core/backend';
import { WORKERS_FETCH } from '#platform';
import type { BlockCache } from './block-cache.js';
import { blockTask, type DecodeOptions, decodeBlock } from './decode.js';
import { HttpSource } from './file-source.js';
import type { TiffFile, TiffPage } from './tiff-file.js';

/** What a reader shares between its reads: decoded-block cache, decode limiter, blocks being decoded. */
export interface BlockContext {
  cache?: BlockCache;
  /** Caps blocks decoding at once (the reader's maxWorkers); reads of the next blocks run ahead of it. */
  limiter: Limiter;
  inflight: Map<string, { promise: Promise<TypedArray>; joined: boolean }>;
  decode: DecodeOptions;
  /** Buffers of placed blocks, handed to the next decodes to write into (worker decoding only). */
  spares: ArrayBuffer[];
  /** A block the file lacks (offset 0) is an error, not zeros (`OpenOptions.strict`). */
  strict?: boolean;
  /** What a block the file lacks reads as (`OpenOptions.fillValue`; default 0, as libtiff and tifffile). */
  fill?: number;
  /**
   * A local file's Deflate, zstd and LZW blocks decoded and placed on the chunk lane's threads (@bfio/codecs'
   * ChunkLane) instead of the codec workers: no worker boot, no message per block, any output memory.
   */
  lane?: { lane: ChunkLane; limiter: Limiter };
}

/** How messages name block `index` of `page`. */
function blockName(page: TiffPage, index: number): string {
  return `${page.tiled ? 'tile' : 'strip'} ${index} of the IFD at byte ${page.offset}`;
}

const pageIds = new WeakMap<TiffPage, number>();
let nextPageId = 1;

/** A process-unique id of a page object (pages are cached per file, virtual pages per layout). */
function pageId(page: TiffPage): number {
  let id = pageIds.get(page);
  if (id === undefined) {
    id = nextPageId++;
    pageIds.set(page, id);
  }
  return id;
}

/** Where one sample of the page goes: a plane of `out` starting at `offset`, `width` elements per row. */
export interface SampleTarget {
  sample: number;
  out: TypedArray;
  offset: number;
}

export interface Rect {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/** Run `tasks` with at most `limit` in flight; rejects on the first failure. */
export async function runLimited(
  tasks: Array<() => Promise<void>>,
  limit: number,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      signal?.throwIfAborted();
      const task = tasks[next++]!;
      await task();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

/**
 * Build the tasks that fill `targets` with rectangle `rect` of `page`. `planned` gets the byte range each
 * task will fetch, in task order (for a remote file's merged requests, range-plan.ts).
 */
export function planeTasks(
  tiff: TiffFile,
  page: TiffPage,
  rect: Rect,
  targets: SampleTarget[],
  ctx: BlockContext,
  planned?: Array<{ offset: number; length: number }>,
): Array<() => Promise<void>> {
  const { blockWidth: bw, blockHeight: bh, blocksAcross, blocksDown } = page;
  const outWidth = rect.x1 - rect.x0;
  const spp = page.samplesPerPixel;
  const spb = page.planar === 2 ? 1 : spp;
  const byFirst = Math.floor(rect.y0 / bh);
  const byLast = Math.floor((rect.y1 - 1) / bh);
  const bxFirst = Math.floor(rect.x0 / bw);
  const bxLast = Math.floor((rect.x1 - 1) / bw);
  // Group targets by the block set that serves them: one group for chunky pages, one per sample if planar.
  const groups = new Map<number, SampleTarget[]>();
  for (const t of targets) {
    if (t.sample < 0 || t.sample >= spp) {
      throw new CorruptFileError(
        tiff.path,
        `sample ${t.sample} requested of a page with ${spp}`,
        page.offset,
      );
    }
    const key = page.planar === 2 ? t.sample : 0;
    const list = groups.get(key) ?? [];
    list.push(t);
    groups.set(key, list);
  }
  const tasks: Array<() => Promise<void>> = [];
  const uncompressedWhole = page.compression === 1 && page.bitsPerSample % 8 === 0 && page.fillOrder === 1;
  const sampleBytes = Math.ceil(page.bitsPerSample / 8);
  for (const [plane, group] of groups) {
    for (let by = byFirst; by <= byLast; by++) {
      for (let bx = bxFirst; bx <= bxLast; bx++) {
        const index = plane * blocksAcross * blocksDown + by * blocksAcross + bx;
        const blockY = by * bh;
        const blockX = bx * bw;
        // Strips end at the image; tiles are always full size (padded).
        const rows = page.tiled ? bh : Math.min(bh, page.height - blockY);
        const ya = Math.max(rect.y0, blockY);
        const yb = Math.min(rect.y1, blockY + rows);
        const xa = Math.max(rect.x0, blockX);
        const xb = Math.min(rect.x1, blockX + bw, page.width);
        const offset = Number(page.offsets[index] ?? 0);
        const count = Number(page.byteCounts[index] ?? 0);
        const sparse = offset === 0 || (count === 0 && page.compression !== 1);
        // Uncompressed: only the rows needed are read.
        const rowBytes = bw * spb * sampleBytes;
        // In a browser a compressed block of some size is fetched by the worker that decodes it (see
        // scatterBlock): merging it into a request here would bring its bytes back through the page's thread.
        const workerFetched = WORKERS_FETCH && page.compression !== 1 && count >= WORKER_FETCH_MIN_BYTES;
        if (planned && !sparse && !workerFetched) {
          planned.push(
            uncompressedWhole
              ? { offset: offset + (ya - blockY) * rowBytes, length: (yb - ya) * rowBytes }
              : { offset, length: count },
          );
        }
        tasks.push(async () => {
          let data: TypedArray | undefined;
          let owned = false; // data is this task's alone: its buffer can be recycled after placement
          let firstRow = 0; // block row that data[0] is
          if (sparse) {
            if (ctx.strict) {
              throw new CorruptFileError(
                tiff.path,
                `${blockName(page, index)} has no data (offset ${offset}, ${count} bytes; strict reading: a missing block is an error, not zeros); restore the file, or read without --strict to get zeros`,
                page.offset,
              );
            }
            data = undefined; // sparse block: zeros, as libtiff and tifffile
          } else if (uncompressedWhole) {
            firstRow = ya - blockY;
            const n = yb - ya;
            const raw = await tiff.source.read(
              offset + firstRow * rowBytes,
              n * rowBytes,
              blockName(page, index),
            );
            data = await decodeBlock(tiff.path, page, raw, offset, n, tiff.littleEndian, n, {
              block: blockName(page, index),
            });
          } else {
            const valid = Math.min(rows, page.height - blockY);
            // Blocks only partly inside the rectangle are the ones a neighbouring window will want again.
            const partial =
              ya > blockY || yb < blockY + valid || xa > blockX || xb < Math.min(blockX + bw, page.width);
            const t = group[0]!;
            // A block whose worker already failed (its request or its decoding) is read here next, not again by
            // a worker: the page's own request has the retries and the typed errors.
            let workerTried = false;
            if (
              group.length === 1 &&
              spb === 1 &&
              ((ctx.decode.pool && onSharedMemory(t.out)) || (ctx.lane && tiff.source.local)) &&
              !(partial && ctx.cache) &&
              !ctx.cache?.get(blockKey(page, index))
            ) {
              // Shared output: the worker decodes and places the rows itself (no copy or page faults here); the
              // lane (a local file) places into any output.
              const placed = await scatterBlock(tiff, page, index, offset, count, rows, ctx, {
                target: new Uint8Array(t.out.buffer, t.out.byteOffset, t.out.byteLength),
                rows: yb - ya,
                rowBytes: (xb - xa) * sampleBytes,
                srcOffset: ((ya - blockY) * bw + (xa - blockX)) * sampleBytes,
                srcStride: bw * sampleBytes,
                dstOffset: (t.offset + (ya - rect.y0) * outWidth + (xa - rect.x0)) * sampleBytes,
                dstStride: outWidth * sampleBytes,
              });
              if (placed) return;
              workerTried = true;
            }
            const block = await compressedBlock(
              tiff,
              page,
              index,
              offset,
              count,
              rows,
              valid,
              partial,
              ctx,
              !workerTried,
            );
            data = block.data;
            owned = block.owned;
          }
          for (const t of group) {
            const s = page.planar === 2 ? 0 : t.sample;
            const dst = t.offset + (ya - rect.y0) * outWidth + (xa - rect.x0);
            if (!data) {
              for (let y = 0; y < yb - ya; y++) {
                t.out.fill(ctx.fill ?? 0, dst + y * outWidth, dst + y * outWidth + (xb - xa));
              }
              continue;
            }
            // One sample of the block's rows into the plane (a chunky block's samples are `spb` apart).
            const src = (ya - blockY - firstRow) * bw * spb + (xa - blockX) * spb + s;
            copyBlock(
              data as never,
              src,
              [bw * spb, spb],
              t.out as never,
              dst,
              [outWidth, 1],
              [yb - ya, xb - xa],
            );
          }
          if (data && owned) recycle(data, ctx);
        });
      }
    }
  }
  return tasks;
}

const NO_BYTES = new Uint8Array(0);

/**
 * Compressed blocks at least this large are fetched by their worker alone in a browser (a request each, many
 * in flight); smaller ones (strips of a few KiB) are worth merging into fewer requests (range-plan.ts).
 */
const WORKER_FETCH_MIN_BYTES = 64 * 1024;

function blockKey(page: TiffPage, index: number): string {
  return `${pageId(page)}:${index}`;
}

/**
 * Decode block `index` on a worker that also places it into the shared output. False when this block
 * cannot go that way or the worker failed: the ordinary path then decodes it and reports any corruption.
 */
async function scatterBlock(
  tiff: TiffFile,
  page: TiffPage,
  index: number,
  offset: number,
  count: number,
  rows: number,
  ctx: BlockContext,
  scatter: ScatterParams,
): Promise<boolean> {
  if (page.compression === 1) return false;
  const expected = rows * page.blockWidth * (page.bitsPerSample / 8);
  const { codec, params, complete } = blockTask(page, expected, tiff.littleEndian);
  if (!complete || page.dtype === undefined) return false;
  params.scatter = scatter;
  const what = blockName(page, index);
  const lane = ctx.lane;
  if (lane && tiff.source.local && ChunkLane.rowsCodec(codec)) {
    // Read, decoded, filtered and placed on one of the chunk lane's threads. Any failure: the ordinary path below
    // reads the block again and reports what is wrong with it.
    try {
      await lane.limiter.run(() =>
        tiff.source.withFd(offset, count, what, (read) =>
          lane.lane.rows({
            read,
            codec,
            size: expected,
            swap: params.swap as number | undefined,
            horizontal: params.horizontal as RowsJob['horizontal'],
            scatter,
          }),
        ),
      );
      return true;
    } catch {
      return false;
    }
  }
  const pool = ctx.decode.pool;
  if (!pool || !onSharedMemory(scatter.target)) return false;
  try {
    if (!tiff.source.local) {
      // In a browser the worker fetches the block itself, so the page's main thread only dispatches (receiving
      // every byte there costs it more than decoding saves). A failed worker fetch lands in the catch below:
      // the ordinary path then reads the block here, with fetchWithRetry's retries and typed errors.
      // A block that is part of a merged request comes with it (one request for its neighbours too).
      const request =
        WORKERS_FETCH && tiff.source instanceof HttpSource && !tiff.source.plans.merged(offset, count)
          ? tiff.source.workerFetch(offset, count, what)
          : undefined;
      if (request) {
        // Not through the decode limiter: these tasks wait on the network first, and the pool lets several
        // share a worker (`fetchesPerWorker`); the read's own task limit (ctx.tasks) bounds how many.
        await pool.run(codec, NO_BYTES, { ...params, fetch: request });
        return true;
      }
      // A remote file: its bytes come here by a request, then move to the worker, which decodes and places.
      const raw = await tiff.source.read(offset, count, what);
      const whole = raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength;
      await ctx.limiter.run(() => pool.run(codec, raw, params, { transfer: whole }));
      return true;
    }
    // The worker reads the compressed bytes itself (into a buffer it reuses): nothing to read, allocate or
    // transfer here. A range outside the file throws here; the ordinary path then reports it.
    await ctx.limiter.run(() =>
      tiff.source.withFd(offset, count, what, (read) => pool.run(codec, NO_BYTES, { ...params, read })),
    );
    return true;
  } catch {
    return false;
  }
}

/**
 * Decoded block `index` of `page`: from the cache, from a decode already running, or read and decoded.
 * `owned` when this caller alone holds the result (not cached, nobody joined): it may recycle the buffer.
 */
async function compressedBlock(
  tiff: TiffFile,
  page: TiffPage,
  index: number,
  offset: number,
  count: number,
  rows: number,
  valid: number,
  keep: boolean,
  ctx: BlockContext,
  workerMayFetch = true,
): Promise<{ data: TypedArray; owned: boolean }> {
  const key = blockKey(page, index);
  const cached = ctx.cache?.get(key);
  if (cached) return { data: cached, owned: false };
  let entry = ctx.inflight.get(key);
  let mine = false;
  if (entry) {
    entry.joined = true;
  } else {
    mine = true;
    const promise = (async () => {
      try {
        const fetched = workerMayFetch
          ? await workerFetchedBlock(tiff, page, index, offset, count, rows, valid, ctx)
          : undefined;
        if (fetched) return fetched;
        const raw = await tiff.source.read(offset, count, blockName(page, index));
        return await ctx.limiter.run(() => {
          const spare = ctx.decode.pool ? ctx.spares.pop() : undefined;
          return decodeBlock(tiff.path, page, raw, offset, rows, tiff.littleEndian, valid, {
            ...ctx.decode,
            block: blockName(page, index),
            spare,
          });
        });
      } finally {
        ctx.inflight.delete(key);
      }
    })();
    entry = { promise, joined: false };
    ctx.inflight.set(key, entry);
  }
  const data = await entry.promise;
  if (keep && ctx.cache) {
    ctx.cache.set(key, data);
    return { data, owned: false };
  }
  return { data, owned: mine && !entry.joined };
}

/**
 * In a browser, a remote block decoded by a codec worker that also fetched it (the page's main thread only
 * dispatches: receiving every byte there cost it 2 CPU-s and 150–365 ms long tasks per 512 MiB read without
 * shared memory, bench/browser). Undefined when this block does not go that way (Node, small or merged
 * blocks, uncompressed pages) or the worker's request failed: the caller then reads it here, with
 * fetchWithRetry's retries and typed errors.
 */
async function workerFetchedBlock(
  tiff: TiffFile,
  page: TiffPage,
  index: number,
  offset: number,
  count: number,
  rows: number,
  valid: number,
  ctx: BlockContext,
): Promise<TypedArray | undefined> {
  const pool = ctx.decode.pool;
  if (!WORKERS_FETCH || !pool || page.compression === 1 || count < WORKER_FETCH_MIN_BYTES) return undefined;
  if (!(tiff.source instanceof HttpSource) || tiff.source.plans.merged(offset, count)) return undefined;
  const what = blockName(page, index);
  const request = tiff.source.workerFetch(offset, count, what);
  if (!request) return undefined;
  try {
    // Not through the decode limiter: the task waits on the network first (see scatterBlock).
    return await decodeBlock(tiff.path, page, NO_BYTES, offset, rows, tiff.littleEndian, valid, {
      ...ctx.decode,
      block: what,
      spare: ctx.spares.pop(),
      fetch: request,
    });
  } catch (err) {
    if (err instanceof CodecError && err.stage === 'fetch') return undefined;
    throw err;
  }
}

/** Give a decoded block's buffer back for the next decode (bounded: a few blocks per reader). */
function recycle(data: TypedArray, ctx: BlockContext): void {
  const buffer = data.buffer;
  if (!ctx.decode.pool || !(buffer instanceof ArrayBuffer) || buffer.byteLength < 64 * 1024) return;
  if (ctx.spares.length < ctx.limiter.limit + 2) ctx.spares.push(buffer);
}
