/**
 * Writing OME-Zarr: NGFF 0.5 on Zarr v3 (default) or 0.4 on Zarr v2, one image as arrays `0..N` (5-D,
 * t,c,z,y,x) in a group with `multiscales` and `omero`, plus the full OME-XML at `OME/METADATA.ome.xml`.
 *
 * Regions may be unaligned: a chunk touched partially is buffered until all its pixels arrived (or until
 * close). Pyramid levels are built as level-0 chunks complete: each completed chunk is downsampled into the
 * next level's buffers, so the image is never re-read.
 *
 * Crash safety: a new store is written into a hidden temporary sibling directory (core's `tempSibling`) and
 * renamed into place by `close()`, group metadata last, so a crashed write never leaves a store that looks
 * valid at the target path (only the temporary directory, which `abort()` removes, and which the next
 * writer of the same target sweeps if its process is gone). In append mode chunks are written in place,
 * each atomically (temp file + rename), so readers never see a torn chunk. Concurrent writers (separate
 * processes, `append: true` on a store created and closed beforehand) must write disjoint chunks; with
 * pyramids, disjoint blocks of (chunk × 2^levels) pixels in Y/X.
 *
 * Creating is its own steps: the target (target.ts), the arrays of a new store (new-store.ts) or the
 * levels of an existing one (append.ts); here the chunk buffering, the pyramid and close.
 */

import { onSharedMemory } from '@bfio/codecs';
import {
  allocate,
  bytesPerPixel,
  ClosedError,
  type DownsampleMode,
  type DType,
  dtypeOf,
  InvalidDataError,
  type TypedArray,
} from '@bfio/core';
import { type Region, regionLength, type WriterBackend } from '@bfio/core/backend';
import type { OME } from '@bfio/ome-xml';
import * as zarr from 'zarrita';
import { cores, env, rm, WORKERS_SHARE_FILES } from '#platform';
import { CodecPool } from '../codec-pool.js';
import { registerCodecs } from '../codecs.js';
import { downsample2x } from '../downsample.js';
import type { Publisher } from '../publisher.js';
import { type StoreLayout, storeLayout, type Vec5 } from '../store-layout.js';
import { openAppend } from './append.js';
import { contiguous, copyBlock, isContiguous, markBlock, prod } from './blocks.js';
import { DirectChunkWriter, type DirectEncoding } from './direct-writes.js';
import type { ChunkBuffer, LevelState } from './levels.js';
import { createLevels, writeGroupDocs } from './new-store.js';
import type { ZarrCreateOptions } from './options.js';
import { discardNewStore, moveIntoPlace, prepareTarget } from './target.js';

/** Receives the promise of each chunk flush (awaited by the caller, or tracked in the background). */
type Sink = (flush: Promise<void>) => void;

/** What a writer is made of, by `create` (a new store) or append mode. */
interface WriterInit {
  file: string;
  /** Where data goes: a temporary sibling for a new store, the store itself in append mode. */
  dir: string;
  fresh: boolean;
  dtype: DType;
  levels: LevelState[];
  mode: DownsampleMode;
  /** Documents written at close for a new store (group metadata, OME-XML); undefined in append mode. */
  finalDocs?: () => Promise<void>;
  overwrite: boolean;
  /** Set for new stores whose codec chain bfio encodes itself: chunks are then written behind. */
  encoding?: DirectEncoding;
  /** Object-store targets and parts: where each finished file goes (else the directory is renamed). */
  publisher?: Publisher;
  /** The metadata documents' paths (relative to `dir`), in the order they are published at close. */
  docOrder?: string[];
  /** Levels after the first are written by the caller (`CreateOptions.levelSizes`): none is downsampled. */
  given?: boolean;
}

/** The most chunk bytes written behind at once (see `maxInflight`): two 256³ uint16 chunks. */
const INFLIGHT_BYTES = 64 * 2 ** 20;
/** Spare small chunk buffers kept for reuse, in bytes (see `recycle`). */
const SPARE_BYTES = 32 * 2 ** 20;
/** Shards at most this large (their part inside the array) are handed to a codec worker whole. */
const WHOLE_SHARD_MAX_BYTES = 64 * 2 ** 20;
/** BFIO_ZARR_WHOLE_SHARDS=0: shards are built chunk by chunk on this thread (for comparisons). */
const WHOLE_SHARDS_OFF = env('BFIO_ZARR_WHOLE_SHARDS') === '0';
/** The most bytes of whole shards handed over and not yet written (see `wholeShards`). */
const WHOLE_SHARD_INFLIGHT_BYTES = 128 * 2 ** 20;

export class ZarrWriter implements WriterBackend {
  private closed = false;
  private readonly file: string;
  private readonly dir: string;
  private readonly fresh: boolean;
  private readonly dtype: DType;
  private readonly levels: LevelState[];
  private readonly mode: DownsampleMode;
  private readonly finalDocs: (() => Promise<void>) | undefined;
  private readonly overwrite: boolean;
  private readonly publisher: Publisher | undefined;
  private readonly docOrder: string[];
  private readonly given: boolean;
  /** Chunk flushes running in the background (write-behind; new stores only). */
  private readonly inflight = new Set<Promise<void>>();
  /**
   * Bound on `inflight`: writeRegion waits below it, which bounds memory — 4 chunks per core, and no more
   * than `INFLIGHT_BYTES` of them (a 256³ uint16 chunk is 32 MiB), though at least 2.
   */
  private readonly maxInflight: number;
  /** The first background failure: every later call rethrows it. */
  private failure: { error: unknown } | undefined;
  /**
   * Buffers handed back by codec workers once their chunk file is written, by byte length: whole chunks
   * are copied into these instead of fresh memory (no page faults, less garbage to collect).
   */
  private readonly spares = new Map<number, ArrayBuffer[]>();
  /** Chunks encoded and stored by bfio itself (new stores with a codec chain it encodes). */
  private readonly direct: DirectChunkWriter | undefined;
  /** Whole shards handed to codec workers and not yet written (see `wholeShards`). */
  private readonly wholeInflight = new Set<Promise<void>>();
  /** writeRegion calls started and not returned. */
  private activeWrites = 0;
  /** The caller has had writes in flight at once (a read-write loop with blocks in flight). */
  private concurrentCaller = false;

  private constructor(init: WriterInit) {
    this.file = init.file;
    this.dir = init.dir;
    this.fresh = init.fresh;
    this.dtype = init.dtype;
    this.levels = init.levels;
    this.mode = init.mode;
    this.finalDocs = init.finalDocs;
    this.overwrite = init.overwrite;
    this.publisher = init.publisher;
    this.docOrder = init.docOrder ?? [];
    this.given = init.given ?? false;
    const first = init.levels[0];
    const chunkBytes = first ? first.chunks.reduce((a, b) => a * b, 1) * bytesPerPixel(init.dtype) : 0;
    this.maxInflight = Math.max(
      2,
      Math.min(Math.max(4, 4 * cores()), Math.floor(INFLIGHT_BYTES / Math.max(1, chunkBytes))),
    );
    this.direct =
      init.encoding &&
      new DirectChunkWriter(init.dir, init.dtype, init.encoding, init.publisher, this.recycle);
  }

  static async create(
    file: string,
    metadata: OME,
    dtype: DType,
    options: ZarrCreateOptions = {},
  ): Promise<ZarrWriter> {
    registerCodecs();
    const layout = storeLayout(file, metadata, dtype, options);
    const overwrite = options.overwrite === true;
    const target = await prepareTarget(file, layout, options);
    if (target.kind === 'append') {
      const { root, levels, mode } = await openAppend(file, dtype, layout.shape, layout.mode);
      return new ZarrWriter({ file, dir: root, fresh: false, dtype, levels, mode, overwrite });
    }
    const { dir, publisher } = target;
    try {
      const levels = await createLevels(file, dir, layout, dtype, options, publisher);
      const encoding = directEncoding(layout, options);
      encoding?.pool?.warm();
      return new ZarrWriter({
        file,
        dir,
        fresh: true,
        dtype,
        levels,
        mode: layout.mode,
        finalDocs: options.part === true ? undefined : () => writeGroupDocs(dir, layout),
        overwrite,
        encoding,
        publisher,
        // Published at close, group metadata last: until it exists the prefix is not an OME-Zarr image.
        docOrder: layout.documents().map(([rel]) => rel),
        given: layout.given,
      });
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      await publisher?.close();
      throw err;
    }
  }

  /** `count` elements of `src` from `start` in a buffer the writer owns (recycled when one is free). */
  private ownedCopy(src: TypedArray, start: number, count: number): TypedArray {
    const bytes = count * src.BYTES_PER_ELEMENT;
    const spare = this.spares.get(bytes)?.pop();
    if (!spare) return src.slice(start, start + count);
    const out = new (src.constructor as new (b: ArrayBuffer) => TypedArray)(spare);
    out.set(src.subarray(start, start + count));
    return out;
  }

  /**
   * A zeroed buffer (the fill value where the chunk gets no pixels) for a chunk of `n` elements of `src`'s
   * type: one a worker handed back when there is one (a sharded write's 4,096 inner chunks per 1024³
   * volume each cost a fresh zeroed allocation and its page faults).
   */
  private chunkBuffer(src: TypedArray, n: number): TypedArray {
    const spare = this.spares.get(n * src.BYTES_PER_ELEMENT)?.pop();
    if (!spare) return allocate(this.dtype, n);
    return new (src.constructor as new (b: ArrayBuffer) => TypedArray)(spare).fill(0);
  }

  /**
   * Keeps a buffer back from a worker for the next chunk: as many as can be in flight (fewer dropped a 256³
   * chunk's buffer for each one kept, and every copy into fresh memory paid its page faults: the raw round
   * trip 2.0 → 9.4 CPU-s), and of small chunks up to 32 MiB (64 of a shard's 64³ uint16 inner chunks).
   */
  private readonly recycle = (buffer: ArrayBuffer): void => {
    if (this.closed) return;
    let list = this.spares.get(buffer.byteLength);
    if (!list) {
      list = [];
      this.spares.set(buffer.byteLength, list);
    }
    const keep = Math.max(this.maxInflight, Math.floor(SPARE_BYTES / Math.max(1, buffer.byteLength)));
    if (list.length < keep) list.push(buffer);
  };

  async writeRegion(region: Region, data: TypedArray, level = 0): Promise<void> {
    if (this.closed) throw new ClosedError('BioWriter', this.file);
    if (dtypeOf(data) !== this.dtype) {
      throw new InvalidDataError(
        `data for ${this.file} must be a ${this.dtype} array, got ${dtypeOf(data) ?? data.constructor.name}`,
        this.file,
      );
    }
    if (data.length !== regionLength(region)) {
      throw new InvalidDataError(
        `data for ${this.file} has ${data.length} elements but the region needs ${regionLength(region)}`,
        this.file,
      );
    }
    const target = this.levels[level];
    if (!target || (level > 0 && !this.given))
      throw new InvalidDataError(
        `level ${level} of ${this.file} is not a level given by levelSizes`,
        this.file,
      );
    const s = target.shape;
    const bad =
      region.x[0] < 0 ||
      region.x[1] > s[4] ||
      region.y[0] < 0 ||
      region.y[1] > s[3] ||
      region.z[0] < 0 ||
      region.z[1] > s[2] ||
      region.c.some((c) => c < 0 || c >= s[1] || !Number.isInteger(c)) ||
      region.t.some((t) => t < 0 || t >= s[0] || !Number.isInteger(t));
    if (bad)
      throw new InvalidDataError(
        `region ${JSON.stringify(region)} is outside ${this.file} (T,C,Z,Y,X = ${s})`,
        this.file,
      );
    const nz = region.z[1] - region.z[0];
    const ny = region.y[1] - region.y[0];
    const nx = region.x[1] - region.x[0];
    const plane = nz * ny * nx;
    const size: Vec5 = [1, 1, nz, ny, nx];
    const stride = contiguous(size);
    // Counted from here: a caller with other writes in flight may lend its shared buffer (`wholeShards`).
    this.activeWrites++;
    if (this.activeWrites > 1) this.concurrentCaller = true;
    /** Whole shards read straight from the caller's shared buffer: done before this call returns. */
    const borrowed: Promise<void>[] = [];
    const pending: Promise<void>[] = [];
    try {
      this.rethrow();
      // Written behind: wait before copying too, not only after, so concurrent callers (a read-write loop with
      // several blocks in flight) do not each copy their chunks while the workers are still behind — a 256³
      // region of 64³ chunks is 64 of them at once.
      if (this.direct) await this.belowInflight();
      const sink: Sink = this.direct ? (p) => this.track(p) : (p) => pending.push(p);
      await this.placeRegion(region, level, data, size, stride, plane, sink, borrowed);
    } finally {
      // Never left behind, even on failure: the caller may reuse its buffer once this call returns.
      if (borrowed.length) await Promise.allSettled(borrowed);
      this.activeWrites--;
    }
    this.rethrow();
    if (this.direct) {
      // Write-behind: the data is copied into chunks already; wait only while too many are in flight.
      await this.belowInflight();
    } else {
      await this.settle(pending);
    }
  }

  /** Places each (t, c) block of a region: whole shards first (`wholeShards`), then chunk by chunk. */
  private async placeRegion(
    region: Region,
    level: number,
    data: TypedArray,
    size: Vec5,
    stride: Vec5,
    plane: number,
    sink: Sink,
    borrowed: Promise<void>[],
  ): Promise<void> {
    for (let ti = 0; ti < region.t.length; ti++) {
      for (let ci = 0; ci < region.c.length; ci++) {
        const offset = (ti * region.c.length + ci) * plane;
        const origin: Vec5 = [
          region.t[ti] as number,
          region.c[ci] as number,
          region.z[0],
          region.y[0],
          region.x[0],
        ];
        const handled = await this.wholeShards(level, origin, size, data, offset, stride, sink, borrowed);
        this.place(level, origin, size, data, offset, stride, sink, handled, borrowed);
      }
    }
  }

  /**
   * The shards of level `k` that the block covers whole (their part inside the array) and that no earlier
   * write has started: each is copied out of the caller's block once and handed to one codec worker, which
   * cuts, encodes and writes it (DirectChunkWriter.storeShard), so this thread neither cuts the block into
   * inner chunks nor assembles the shard. Returns the keys of the shards handled (`place` skips their
   * chunks), or undefined when there are none. Each waits here before its copy while one shard more than
   * the workers is in flight, or, of copies, `WHOLE_SHARD_INFLIGHT_BYTES`.
   *
   * A block in shared memory is not copied once the caller has had writes in flight at once (a read-write
   * loop with blocks in flight, as bench:zarr3d's; its other blocks may be still being read when one is
   * written): the worker cuts the shard straight out of it, and the shard goes into `borrowed`, which
   * writeRegion awaits before it returns (the caller's buffer is never used after that). A caller writing one
   * block at a time keeps the copy, so its next read overlaps the encode.
   */
  private async wholeShards(
    k: number,
    origin: Vec5,
    size: Vec5,
    src: TypedArray,
    srcOffset: number,
    srcStride: Vec5,
    sink: Sink,
    borrowed: Promise<void>[],
  ): Promise<Set<string> | undefined> {
    const L = this.levels[k] as LevelState;
    const shards = L.shards;
    const pool = this.direct?.enc.pool;
    if (!shards || !pool || !this.direct || WHOLE_SHARDS_OFF) return undefined;
    let handled: Set<string> | undefined;
    const first = shards.indexOf(origin);
    const last = shards.indexOf(origin.map((o, i) => o + (size[i] as number) - 1));
    const idx = [...first];
    for (;;) {
      const { origin: sOrigin, extent } = shards.boundsOf(idx);
      const covered = sOrigin.every(
        (o, i) =>
          o >= (origin[i] as number) &&
          o + (extent[i] as number) <= (origin[i] as number) + (size[i] as number),
      );
      const bytes = prod(extent) * src.BYTES_PER_ELEMENT;
      // A downsample of the shard must start on an even Y/X (as its chunks' do) to equal theirs.
      const halves = this.given || !this.levels[k + 1] || (sOrigin[3] % 2 === 0 && sOrigin[4] % 2 === 0);
      if (
        covered &&
        halves &&
        bytes <= WHOLE_SHARD_MAX_BYTES &&
        !shards.isOpen(idx) &&
        !this.buffersIn(L, sOrigin, extent)
      ) {
        const inPlace = this.readsInPlace(k, src);
        // A shard read in place holds none of the writer's memory: only the workers bound those.
        const slots = inPlace
          ? pool.workers + 1
          : Math.max(1, Math.min(pool.workers + 1, Math.floor(WHOLE_SHARD_INFLIGHT_BYTES / bytes)));
        while (this.wholeInflight.size >= slots) await Promise.race(this.wholeInflight);
        this.rethrow();
        // Checked again after the wait: another call may have started this shard meanwhile.
        if (!shards.isOpen(idx) && !this.buffersIn(L, sOrigin, extent)) {
          const start =
            srcOffset +
            sOrigin.reduce((acc, o, i) => acc + (o - (origin[i] as number)) * (srcStride[i] as number), 0);
          if (inPlace) {
            const view = new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
            const source = { view, offset: start, stride: [...srcStride] };
            if (L.stored) {
              const write = this.direct.storeShard(L, [...idx], extent, src, source);
              this.trackWhole(write);
              borrowed.push(write);
            }
          } else {
            const block = this.ownedBuffer(src, prod(extent));
            copyBlock(src, start, srcStride, block, [0, 0, 0, 0, 0], contiguous(extent), extent);
            // The next level first: the downsample reads the block, which the worker then takes.
            this.feedNext(k, sOrigin, extent, block, sink);
            if (L.stored) this.trackWhole(this.direct.storeShard(L, [...idx], extent, block));
          }
          handled ??= new Set();
          handled.add(idx.join(','));
        }
      }
      if (!nextIndex(idx, first, last)) break;
    }
    return handled;
  }

  /**
   * Whether a codec worker may read level `k`'s data straight out of the caller's block `src`, with
   * writeRegion waiting for it, instead of a copy: when the block is in shared memory (a worker reads it
   * there) and the caller has had writes in flight at once (a read-write loop; its next block is being read
   * meanwhile, so waiting for the encode costs it nothing), and no pyramid level is computed from it. Whole
   * shards (`wholeShards`) and whole chunks (`lends`) both go by it.
   */
  private readsInPlace(k: number, src: TypedArray): boolean {
    const feeds = !this.given && this.levels[k + 1] !== undefined;
    return !feeds && onSharedMemory(src) && this.concurrentCaller;
  }

  /**
   * Whether whole chunks of level `k` (stored, not sharded, encoded on the workers) are encoded where they lie
   * in `src` (`readsInPlace`). A read-rewrite loop of 256³ uint16 chunks, 4 in flight, then holds no 32 MiB
   * copies (peak RSS 470–519 → ~370 MiB).
   */
  private lends(k: number, src: TypedArray): boolean {
    const L = this.levels[k] as LevelState;
    return !!this.direct?.enc.pool && !L.shards && L.stored && this.readsInPlace(k, src);
  }

  /** Whether any chunk being filled at level `L` lies in the box at `origin` of `extent`. */
  private buffersIn(L: LevelState, origin: Vec5, extent: Vec5): boolean {
    for (const buf of L.buffers.values())
      if (
        buf.origin.every(
          (o, i) => o >= (origin[i] as number) && o < (origin[i] as number) + (extent[i] as number),
        )
      )
        return true;
    return false;
  }

  /** A buffer of `n` elements of `src`'s type the writer owns, spanning its ArrayBuffer (a recycled one if free). */
  private ownedBuffer(src: TypedArray, n: number): TypedArray {
    const spare = this.spares.get(n * src.BYTES_PER_ELEMENT)?.pop();
    if (!spare) return allocate(this.dtype, n);
    return new (src.constructor as new (b: ArrayBuffer) => TypedArray)(spare);
  }

  /** A whole shard's write, tracked as a flush and counted against the whole-shard budget. */
  private trackWhole(write: Promise<void>): void {
    const settled: Promise<void> = write.then(
      () => {},
      () => {},
    );
    this.wholeInflight.add(settled);
    void settled.then(() => this.wholeInflight.delete(settled));
    this.track(write);
  }

  /** Waits while `maxInflight` chunks or more are written behind; rethrows a background failure. */
  private async belowInflight(): Promise<void> {
    while (this.inflight.size >= this.maxInflight) await Promise.race(this.inflight);
    this.rethrow();
  }

  /** Waits for flushes, including the ones they start in higher levels. */
  private async settle(pending: Promise<void>[]): Promise<void> {
    while (pending.length) {
      const batch = pending.splice(0, pending.length);
      const results = await Promise.allSettled(batch);
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    }
  }

  /** Runs a flush in the background; its failure is kept and rethrown by the next call. */
  private track(flush: Promise<void>): void {
    const tracked: Promise<void> = flush
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => this.inflight.delete(tracked));
    this.inflight.add(tracked);
  }

  /** Waits until no flush runs in the background (flushes may start others: loop until none). */
  private async drain(): Promise<void> {
    while (this.inflight.size) await Promise.all([...this.inflight]);
  }

  private rethrow(): void {
    if (this.failure) throw this.failure.error;
  }

  /** Copies a 5-D block into the chunks it touches; chunks that become complete are flushed. */
  private place(
    k: number,
    origin: Vec5,
    size: Vec5,
    src: TypedArray,
    srcOffset: number,
    srcStride: Vec5,
    sink: Sink,
    /** Keys of shards written whole (`wholeShards`): their chunks are skipped. */
    skip?: Set<string>,
    /** Where chunks encoded straight from the caller's shared block go (see `lends`); none: copied. */
    borrowed?: Promise<void>[],
  ): void {
    const L = this.levels[k] as LevelState;
    const lends = borrowed !== undefined && this.lends(k, src);
    const first = origin.map((o, i) => Math.floor(o / (L.chunks[i] as number)));
    const last = origin.map((o, i) => Math.floor((o + (size[i] as number) - 1) / (L.chunks[i] as number)));
    const idx = [...first];
    for (;;) {
      const cOrigin = idx.map((n, i) => n * (L.chunks[i] as number)) as Vec5;
      if (skip && L.shards && skip.has(L.shards.indexOf(cOrigin).join(','))) {
        if (!nextIndex(idx, first, last)) break;
        continue;
      }
      const cExtent = cOrigin.map((o, i) =>
        Math.min(L.chunks[i] as number, (L.shape[i] as number) - o),
      ) as Vec5;
      const lo = cOrigin.map((o, i) => Math.max(o, origin[i] as number)) as Vec5;
      const hi = cOrigin.map((o, i) =>
        Math.min(o + (cExtent[i] as number), (origin[i] as number) + (size[i] as number)),
      ) as Vec5;
      const part = hi.map((h, i) => h - (lo[i] as number)) as Vec5;
      const count = prod(part);
      const key = idx.join(',');
      const whole = part.every((n, i) => n === cExtent[i]);
      const srcStart =
        srcOffset + lo.reduce((acc, l, i) => acc + (l - (origin[i] as number)) * (srcStride[i] as number), 0);
      if (whole && !L.buffers.has(key) && isContiguous(part, srcStride)) {
        // The block holds this whole chunk contiguously: encode straight from the caller's data (a copy
        // when written behind, as the caller may reuse its buffer once writeRegion returns, unless the
        // chunk is lent: then writeRegion waits for it).
        const lent = lends && cExtent.every((n, i) => n === L.chunks[i]);
        const data =
          this.direct && !lent
            ? this.ownedCopy(src, srcStart, count)
            : src.subarray(srcStart, srcStart + count);
        const write = this.flush(
          k,
          { origin: cOrigin, extent: cExtent, data, filled: count, expected: count },
          sink,
        );
        sink(write);
        if (lent) borrowed?.push(write);
      } else {
        let buf = L.buffers.get(key);
        if (!buf) {
          const n = prod(cExtent);
          buf = { origin: cOrigin, extent: cExtent, data: this.chunkBuffer(src, n), filled: 0, expected: n };
          if (!this.fresh) buf.mask = new Uint8Array(n);
          L.buffers.set(key, buf);
        }
        const at = lo.map((l, i) => l - (cOrigin[i] as number)) as Vec5;
        copyBlock(src, srcStart, srcStride, buf.data, at, contiguous(cExtent), part);
        if (buf.mask) markBlock(buf.mask, at, contiguous(cExtent), part);
        buf.filled += count;
        if (buf.filled >= buf.expected) {
          L.buffers.delete(key);
          sink(this.flush(k, buf, sink));
        }
      }
      if (!nextIndex(idx, first, last)) break;
    }
  }

  /**
   * Encodes and stores one chunk after feeding its 2× downsample to the next level. A partial chunk of an
   * existing store is merged with what is on disk first (read-modify-write).
   */
  private async flush(k: number, buf: ChunkBuffer, sink: Sink): Promise<void> {
    const L = this.levels[k] as LevelState;
    let data = buf.data;
    if (buf.filled < buf.expected && !this.fresh) {
      // Pixels this writer never received keep their stored values: start from the chunk on disk.
      data = await this.merged(L, buf);
    }
    // The next level first: the downsample reads `data`, which the encoder may then move to a worker.
    this.feedNext(k, buf.origin, buf.extent, data, sink);
    if (!L.stored) return;
    if (this.direct) {
      await this.direct.store(L, buf, data);
      return;
    }
    const sel = buf.origin.map((o, i) => zarr.slice(o, o + (buf.extent[i] as number)));
    await zarr.set(L.writes, sel, { data, shape: [...buf.extent], stride: contiguous(buf.extent) } as never);
  }

  /**
   * Places the 2× downsample of the dense block `data` (level `k`, at `origin`, `extent` elements) into level
   * k+1 (when the writer builds the pyramid). Its Y/X origin is even (a chunk's or a shard's), so a shard's
   * downsample equals those of its chunks.
   */
  private feedNext(k: number, origin: Vec5, extent: Vec5, data: TypedArray, sink: Sink): void {
    const next = this.given ? undefined : this.levels[k + 1];
    if (!next) return;
    const [, , , y0, x0] = origin;
    const oy0 = y0 / 2;
    const ox0 = x0 / 2;
    const oy = Math.min(Math.ceil((y0 + extent[3]) / 2), next.shape[3]) - oy0;
    const ox = Math.min(Math.ceil((x0 + extent[4]) / 2), next.shape[4]) - ox0;
    if (oy <= 0 || ox <= 0) return;
    const small = downsample2x(data, this.dtype, extent, oy, ox, this.mode);
    const size: Vec5 = [extent[0], extent[1], extent[2], oy, ox];
    this.place(k + 1, [origin[0], origin[1], origin[2], oy0, ox0], size, small, 0, contiguous(size), sink);
  }

  /** The stored chunk with this writer's pixels laid over it. */
  private async merged(L: LevelState, buf: ChunkBuffer): Promise<TypedArray> {
    const mask = buf.mask;
    if (!mask) return buf.data;
    const sel = buf.origin.map((o, i) => zarr.slice(o, o + (buf.extent[i] as number)));
    const stored = (await zarr.get(L.array, sel)) as unknown as { data: TypedArray };
    const out = stored.data;
    for (let i = 0; i < mask.length; i++) if (mask[i]) out[i] = buf.data[i] as number;
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.drain();
      this.rethrow();
      // Partial chunks, level by level: flushing level k feeds level k+1's buffers.
      for (let k = 0; k < this.levels.length; k++) {
        const L = this.levels[k] as LevelState;
        const pending: Promise<void>[] = [];
        const sink: Sink = this.direct ? (p) => this.track(p) : (p) => pending.push(p);
        for (const [key, buf] of [...L.buffers]) {
          L.buffers.delete(key);
          // A part owns whole objects: a partial chunk here would overwrite another part's pixels.
          if (this.publisher && !this.finalDocs && L.stored && buf.filled < buf.expected) {
            throw new InvalidDataError(
              `${this.file}: a part left chunk ${buf.origin} of level ${L.path} incomplete (${buf.filled} of ${buf.expected} pixels); parts must write whole blocks of the plan`,
              this.file,
            );
          }
          sink(this.flush(k, buf, sink));
        }
        await this.settle(pending);
        await this.drain();
        this.rethrow();
      }
      // Shards whose chunks did not all come (unwritten regions): their indexes mark those chunks empty.
      for (const L of this.levels) await L.shards?.finishAll();
      this.spares.clear();
      if (this.publisher) {
        await this.publisher.drain();
        if (this.finalDocs) {
          await this.finalDocs();
          // One at a time, in order: the group metadata must not land before the arrays'.
          for (const rel of this.docOrder) {
            await this.publisher.publish(rel);
            await this.publisher.drain();
          }
        }
        await this.publisher.close();
      } else if (this.finalDocs) {
        await this.finalDocs();
        await moveIntoPlace(this.dir, this.file, this.overwrite);
      }
    } catch (err) {
      for (const L of this.levels) await L.shards?.discard();
      await this.discardOutput();
      throw err;
    }
  }

  /** What a failed or abandoned new store left goes (target.ts); an appended store keeps its chunks. */
  private async discardOutput(): Promise<void> {
    if (this.fresh) await discardNewStore(this.dir, this.file, this.publisher, this.finalDocs !== undefined);
  }

  async abort(): Promise<void> {
    this.closed = true;
    for (const L of this.levels) L.buffers.clear();
    await this.drain();
    for (const L of this.levels) await L.shards?.discard();
    await this.discardOutput();
  }
}

/** Steps `idx` to the next index in the box [first, last] (odometer over the 5 axes, x fastest); false past the end. */
function nextIndex(idx: number[], first: readonly number[], last: readonly number[]): boolean {
  for (let d = idx.length - 1; d >= 0; d--) {
    (idx[d] as number)++;
    if ((idx[d] as number) <= (last[d] as number)) return true;
    idx[d] = first[d] as number;
  }
  return false;
}

/** Chunks skip zarrita when bfio knows the codec chain (and the machine's byte order is the file's). */
function directEncoding(layout: StoreLayout, options: ZarrCreateOptions): DirectEncoding | undefined {
  if (!layout.directPossible) return undefined;
  return {
    format: layout.format,
    compression: layout.compression as 'zstd' | 'none',
    level: layout.level,
    // A page's in-memory files belong to this thread: its chunks are encoded and written here.
    pool: WORKERS_SHARE_FILES ? CodecPool.get(options.maxWorkers) : undefined,
  };
}
