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
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import {
  allocate,
  ClosedError,
  CorruptFileError,
  type DownsampleMode,
  type DType,
  dtypeOf,
  FileExistsError,
  InvalidDataError,
  isObjectStoreUrl,
  objectStoreFor,
  type Region,
  regionLength,
  sweepStaleTemps,
  type TypedArray,
  tempSibling,
  UnsupportedError,
  type WriterBackend,
} from '@bfio/core';
import type { OME } from '@bfio/ome-xml';
import * as zarr from 'zarrita';
import { CodecPool, PoolUnavailable } from './codec-pool.js';
import { registerCodecs } from './codecs.js';
import { downsample2x } from './downsample.js';
import { exists, writeDocs } from './fs-helpers.js';
import { locateRoot, readNode, type ZarrFormat } from './layout.js';
import { arrayDocuments, groupDocuments } from './metadata-docs.js';
import { nativeZstd } from './native-zstd.js';
import { ngffRoot, parseMultiscale } from './ngff.js';
import { objectsUnder } from './parts/store-io.js';
import { type Publisher, publisherFor } from './publisher.js';
import { ShardWriter } from './shard.js';
import { ChunkWriteStore, NodeStore } from './store.js';
import { storeLayout, type Vec5 } from './store-layout.js';
import type { ZarrCreateOptions } from './writer/options.js';

export type { ZarrCreateOptions } from './writer/options.js';

type AnyArray = zarr.Array<zarr.DataType, NodeStore>;

interface ChunkBuffer {
  origin: Vec5;
  extent: Vec5;
  data: TypedArray;
  filled: number;
  expected: number;
  /** Append mode only: 1 where this writer supplied the pixel (to merge a partial chunk with the stored one). */
  mask?: Uint8Array;
}

interface LevelState {
  /** The array's path in the store ('0', '1', …). */
  path: string;
  /** False for a level that is only a source for the next (finalize building the levels parts left). */
  stored: boolean;
  array: AnyArray;
  /** The same array over a ChunkWriteStore: what chunks are stored through (zarrita never reads one back). */
  writes: AnyArray;
  shape: Vec5;
  chunks: Vec5;
  buffers: Map<string, ChunkBuffer>;
  /** Sharded arrays: where complete chunks go. */
  shards?: ShardWriter;
}

/**
 * How chunks of a new store are encoded without zarrita: the codec chains bfio writes itself (bytes →
 * zstd, or raw bytes), so chunks go straight from the encoder to their files, written behind the caller.
 */
interface DirectEncoding {
  format: ZarrFormat;
  compression: 'zstd' | 'none';
  level: number;
  /**
   * zstd and the chunk file's write on @bfio/core's shared worker pool (at most `maxWorkers` chunks at
   * once); else this thread.
   */
  pool: CodecPool | undefined;
}

/** Receives the promise of each chunk flush (awaited by the caller, or tracked in the background). */
type Sink = (flush: Promise<void>) => void;

/** Below this many bytes a chunk is compressed on the calling thread (a worker round trip costs more). */
const POOL_MIN_BYTES = 32 * 1024;

const prod = (v: readonly number[]) => v.reduce((a, b) => a * b, 1);
const contiguous = (s: Vec5): Vec5 => [s[1] * s[2] * s[3] * s[4], s[2] * s[3] * s[4], s[3] * s[4], s[4], 1];

export class ZarrWriter implements WriterBackend {
  private closed = false;
  private readonly levels: LevelState[];
  /** Levels after the first are written by the caller (`CreateOptions.levelSizes`): none is downsampled. */
  private given = false;

  private constructor(
    private readonly file: string,
    /** Where data goes: a temporary sibling for a new store, the store itself in append mode. */
    private readonly dir: string,
    private readonly fresh: boolean,
    private readonly dtype: DType,
    levels: LevelState[],
    private readonly mode: DownsampleMode,
    /** Documents written at close for a new store (group metadata, OME-XML); undefined in append mode. */
    private readonly finalDocs: (() => Promise<void>) | undefined,
    private readonly overwrite: boolean,
    /** Set for new stores whose codec chain bfio encodes itself: chunks are then written behind. */
    private readonly direct?: DirectEncoding,
    /** Object-store targets and parts: where each finished file goes (else the directory is renamed). */
    private readonly publisher?: Publisher,
    /** The metadata documents' paths (relative to `dir`), in the order they are published at close. */
    private readonly docOrder: string[] = [],
  ) {
    this.levels = levels;
    this.maxInflight = Math.max(4, 4 * availableParallelism());
  }

  /** Chunk flushes running in the background (write-behind; new stores only). */
  private readonly inflight = new Set<Promise<void>>();
  /** Bound on `inflight`: writeRegion waits below it, which bounds memory. */
  private readonly maxInflight: number;
  /** The first background failure: every later call rethrows it. */
  private failure: { error: unknown } | undefined;
  /** mkdir of chunk directories, once each. */
  private readonly dirs = new Map<string, Promise<unknown>>();
  /**
   * Buffers handed back by codec workers once their chunk file is written, by byte length: whole chunks
   * are copied into these instead of fresh memory (no page faults, less garbage to collect).
   */
  private readonly spares = new Map<number, ArrayBuffer[]>();

  /** `count` elements of `src` from `start` in a buffer the writer owns (recycled when one is free). */
  private ownedCopy(src: TypedArray, start: number, count: number): TypedArray {
    const bytes = count * src.BYTES_PER_ELEMENT;
    const spare = this.spares.get(bytes)?.pop();
    if (!spare) return src.slice(start, start + count);
    const out = new (src.constructor as new (b: ArrayBuffer) => TypedArray)(spare);
    out.set(src.subarray(start, start + count));
    return out;
  }

  /** Keeps a buffer back from a worker for the next whole chunk (as many as can be in flight at once). */
  private readonly recycle = (buffer: ArrayBuffer): void => {
    if (this.closed) return;
    let list = this.spares.get(buffer.byteLength);
    if (!list) {
      list = [];
      this.spares.set(buffer.byteLength, list);
    }
    if (list.length < this.maxInflight) list.push(buffer);
  };

  static async create(
    file: string,
    metadata: OME,
    dtype: DType,
    options: ZarrCreateOptions = {},
  ): Promise<ZarrWriter> {
    registerCodecs();
    const layout = storeLayout(file, metadata, dtype, options);
    const { format, shape, shapes, levelChunks, levelShards, mode, compression, level, directPossible } =
      layout;
    /** This writer's level k is the store's level `firstLevel + k`; the store's `firstLevel` is only read. */
    const firstLevel = options.firstLevel ?? 0;

    const remote = isObjectStoreUrl(file);
    const part = options.part === true;
    if ((remote || part) && !directPossible) {
      throw new UnsupportedError(
        `${file}: ${remote ? 'object-store stores' : 'stores written in parts'} are written with zstd or no compression (asked for '${compression}'${compression === 'zstd' ? ', but the native zstd codec did not load' : ''})`,
        file,
      );
    }
    if ((remote || part) && options.append)
      throw new UnsupportedError(`${file}: append mode is for local stores written by one process`, file);
    let publisher: Publisher | undefined;
    let dir: string;
    if (remote || part) {
      if (!part) await ZarrWriter.clearRemoteTarget(file, options.overwrite === true);
      else if (!remote) await mkdir(file, { recursive: true });
      publisher = await publisherFor(file);
      dir = publisher.spool;
    } else {
      const targetExists = await exists(file);
      if (options.append && targetExists) {
        return ZarrWriter.openAppend(file, dtype, shape, mode, options.overwrite === true);
      }
      if (targetExists && !options.overwrite) throw new FileExistsError(file);
      await mkdir(dirname(file), { recursive: true });
      // Temporaries of this target left by killed writers go first; then ours.
      await sweepStaleTemps(file);
      dir = tempSibling(file);
      await mkdir(dir, { recursive: true });
    }
    try {
      const store = new NodeStore(dir);
      const writeStore = new ChunkWriteStore(dir);
      const levels: LevelState[] = [];
      for (let k = 0; k < shapes.length; k++) {
        const s = shapes[k] as Vec5;
        const c = levelChunks[k] as Vec5;
        const sh = levelShards?.[k];
        const path = String(firstLevel + k);
        await writeDocs(
          join(dir, path),
          arrayDocuments(
            { format, shape: s, chunks: c, dtype, compression, level, shards: sh, fillValue: layout.fill },
            file,
          ),
        );
        levels.push({
          path,
          stored: k > 0 || (options.storeFirstLevel ?? firstLevel === 0),
          array: await openArray(store, format, path),
          writes: await openArray(writeStore, format, path),
          shape: s,
          chunks: c,
          buffers: new Map(),
          shards:
            sh &&
            new ShardWriter(
              s,
              c,
              sh,
              (index) => join(dir, path, 'c', ...index.map(String)),
              publisher && ((path) => publisher.publish(relative(dir, path))),
            ),
        });
      }
      const finalDocs = async () => {
        await mkdir(join(dir, 'OME'), { recursive: true });
        await writeFile(join(dir, 'OME', 'METADATA.ome.xml'), layout.xml);
        // The group metadata goes last: until it exists the directory is not an OME-Zarr image.
        await writeDocs(dir, groupDocuments(format, layout.ngff));
      };
      // Chunks skip zarrita when bfio knows the codec chain (and the machine's byte order is the file's).
      const direct: DirectEncoding | undefined = directPossible
        ? {
            format,
            compression: compression as 'zstd' | 'none',
            level,
            pool: CodecPool.get(options.maxWorkers),
          }
        : undefined;
      direct?.pool?.warm();
      // Published at close, group metadata last: until it exists the prefix is not an OME-Zarr image.
      const docOrder = layout.documents().map(([rel]) => rel);
      const writer = new ZarrWriter(
        file,
        dir,
        true,
        dtype,
        levels,
        mode,
        part ? undefined : finalDocs,
        options.overwrite === true,
        direct,
        publisher,
        docOrder,
      );
      writer.given = layout.given;
      return writer;
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      await publisher?.close();
      throw err;
    }
  }

  /**
   * An object-store target must be new (no object under the prefix), or, with `overwrite`, is emptied
   * first: objects cannot be renamed, so the old image cannot be swapped out at the end.
   */
  private static async clearRemoteTarget(file: string, overwrite: boolean): Promise<void> {
    const markers = ['zarr.json', '.zgroup', '.zattrs', '.zarray'];
    const urls = await objectsUnder(file);
    if (urls.length && !overwrite) throw new FileExistsError(file);
    const store = await objectStoreFor(file);
    // Metadata first, so the old image stops reading as one before its chunks go.
    const isDoc = (u: string) => markers.some((m) => u.endsWith(`/${m}`));
    await store.delete(urls.filter(isDoc));
    await store.delete(urls.filter((u) => !isDoc(u)));
  }

  /** bfio's append mode: write into an existing store whose level 0 matches the metadata. */
  private static async openAppend(
    file: string,
    dtype: DType,
    shape: Vec5,
    mode: DownsampleMode,
    overwrite: boolean,
  ): Promise<ZarrWriter> {
    const located = await locateRoot(file);
    if (!located) throw new CorruptFileError(file, 'append: the target exists but is not a Zarr store');
    const { root, format } = located;
    const node = await readNode(root, '', format);
    if (node?.kind !== 'group') throw new CorruptFileError(file, 'append: the store has no image group');
    const { ngff } = ngffRoot(node.attrs);
    let paths: string[];
    let ms: ReturnType<typeof parseMultiscale>;
    try {
      ms = parseMultiscale(ngff);
      paths = ms.datasets.map((d) => d.path);
    } catch (err) {
      throw new CorruptFileError(file, `append: the store has no usable multiscales (${String(err)})`);
    }
    const store = new NodeStore(root);
    const writeStore = new ChunkWriteStore(root);
    const levels: LevelState[] = [];
    for (const p of paths) {
      if (format === 3 && (await isSharded(join(root, p)))) {
        throw new UnsupportedError(
          `append: ${file} level '${p}' is sharded; appending to sharded stores is not supported (write a new store)`,
          file,
        );
      }
      const array = await openArray(store, format, p);
      if (array.shape.length !== 5) {
        throw new UnsupportedError(
          `append: ${file} level '${p}' is not 5-D (t,c,z,y,x); bfio appends only to its own layout`,
          file,
        );
      }
      levels.push({
        path: p,
        stored: true,
        array,
        writes: await openArray(writeStore, format, p),
        shape: array.shape as Vec5,
        chunks: array.chunks as Vec5,
        buffers: new Map(),
      });
    }
    const first = levels[0] as LevelState;
    if (first.array.dtype !== dtype || first.shape.some((n, i) => n !== shape[i])) {
      throw new InvalidDataError(
        `append: ${file} holds ${first.array.dtype} T,C,Z,Y,X=${first.shape} but the writer was given ${dtype} ${shape}`,
        file,
      );
    }
    const stored = (ms as unknown as { type?: string }).type;
    return new ZarrWriter(
      file,
      root,
      false,
      dtype,
      levels,
      stored === 'nearest' || stored === 'mode' || stored === 'max' ? stored : mode,
      undefined,
      overwrite,
    );
  }

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
    this.rethrow();
    const pending: Promise<void>[] = [];
    const sink: Sink = this.direct ? (p) => this.track(p) : (p) => pending.push(p);
    region.t.forEach((t, ti) => {
      region.c.forEach((c, ci) => {
        const offset = (ti * region.c.length + ci) * plane;
        this.place(level, [t, c, region.z[0], region.y[0], region.x[0]], size, data, offset, stride, sink);
      });
    });
    if (this.direct) {
      // Write-behind: the data is copied into chunks already; wait only while too many are in flight.
      while (this.inflight.size >= this.maxInflight) await Promise.race(this.inflight);
      this.rethrow();
    } else {
      await this.settle(pending);
    }
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
  ): void {
    const L = this.levels[k] as LevelState;
    const first = origin.map((o, i) => Math.floor(o / (L.chunks[i] as number)));
    const last = origin.map((o, i) => Math.floor((o + (size[i] as number) - 1) / (L.chunks[i] as number)));
    const idx = [...first];
    for (;;) {
      const cOrigin = idx.map((n, i) => n * (L.chunks[i] as number)) as Vec5;
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
        // when written behind, as the caller may reuse its buffer once writeRegion returns).
        const data = this.direct
          ? this.ownedCopy(src, srcStart, count)
          : src.subarray(srcStart, srcStart + count);
        sink(this.flush(k, { origin: cOrigin, extent: cExtent, data, filled: count, expected: count }, sink));
      } else {
        let buf = L.buffers.get(key);
        if (!buf) {
          const n = prod(cExtent);
          buf = { origin: cOrigin, extent: cExtent, data: allocate(this.dtype, n), filled: 0, expected: n };
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
      // Next chunk index (odometer over the 5 axes, x fastest).
      let d = 4;
      while (d >= 0) {
        (idx[d] as number)++;
        if ((idx[d] as number) <= (last[d] as number)) break;
        idx[d] = first[d] as number;
        d--;
      }
      if (d < 0) break;
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
    const next = this.given ? undefined : this.levels[k + 1];
    if (next) {
      const [, , , y0, x0] = buf.origin;
      const oy0 = y0 / 2;
      const ox0 = x0 / 2;
      const oy = Math.min(Math.ceil((y0 + buf.extent[3]) / 2), next.shape[3]) - oy0;
      const ox = Math.min(Math.ceil((x0 + buf.extent[4]) / 2), next.shape[4]) - ox0;
      if (oy > 0 && ox > 0) {
        const small = downsample2x(data, this.dtype, buf.extent, oy, ox, this.mode);
        const size: Vec5 = [buf.extent[0], buf.extent[1], buf.extent[2], oy, ox];
        this.place(
          k + 1,
          [buf.origin[0], buf.origin[1], buf.origin[2], oy0, ox0],
          size,
          small,
          0,
          contiguous(size),
          sink,
        );
      }
    }
    if (!L.stored) return;
    if (this.direct) {
      await this.storeDirect(k, buf, data, this.direct);
      return;
    }
    const sel = buf.origin.map((o, i) => zarr.slice(o, o + (buf.extent[i] as number)));
    await zarr.set(L.writes, sel, { data, shape: [...buf.extent], stride: contiguous(buf.extent) } as never);
  }

  /**
   * Encodes a chunk of a new store and writes its file (no temp file: the whole store is a temporary
   * directory until close). `data` is owned by the writer and may be moved to a codec worker.
   */
  private async storeDirect(
    k: number,
    buf: ChunkBuffer,
    data: TypedArray,
    enc: DirectEncoding,
  ): Promise<void> {
    const L = this.levels[k] as LevelState;
    let chunk = data;
    if (buf.extent.some((n, i) => n !== L.chunks[i])) {
      // Edge chunks are stored whole, padded with the fill value (0).
      chunk = allocate(this.dtype, prod(L.chunks));
      copyBlock(data, 0, contiguous(buf.extent), chunk, [0, 0, 0, 0, 0], contiguous(L.chunks), buf.extent);
    }
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (L.shards) {
      // Into its shard: encoded on a worker (the bytes are the writer's: moved there), appended here.
      let encoded = bytes;
      if (enc.compression === 'zstd') {
        if (enc.pool && bytes.byteLength >= POOL_MIN_BYTES) {
          try {
            encoded = await enc.pool.compress(bytes, enc.level, false, true);
          } catch (err) {
            if (!(err instanceof PoolUnavailable)) throw err;
            encoded = compressZstd(bytes, enc.level);
          }
        } else encoded = compressZstd(bytes, enc.level);
      }
      await L.shards.write(buf.origin, encoded);
      return;
    }
    const idx = buf.origin.map((o, i) => String(o / (L.chunks[i] as number)));
    const rel = join(L.path, ...(enc.format === 3 ? ['c', ...idx] : idx));
    const file = join(this.dir, rel);
    const dir = dirname(file);
    let made = this.dirs.get(dir);
    if (!made) {
      made = mkdir(dir, { recursive: true });
      this.dirs.set(dir, made);
    }
    await made;
    if (enc.pool && bytes.byteLength >= POOL_MIN_BYTES) {
      // The worker encodes and writes the file: the main thread only hands the buffer over.
      try {
        await enc.pool.writeChunk(
          file,
          bytes,
          enc.compression === 'none' ? 'raw' : 'zstd',
          enc.level,
          this.recycle,
        );
        await this.publisher?.publish(rel);
        return;
      } catch (err) {
        if (!(err instanceof PoolUnavailable)) throw err;
      }
    }
    const encoded = enc.compression === 'none' ? bytes : compressZstd(bytes, enc.level);
    await writeFile(file, encoded);
    await this.publisher?.publish(rel);
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
        await this.moveIntoPlace();
      }
    } catch (err) {
      for (const L of this.levels) await L.shards?.discard();
      await this.discardOutput();
      throw err;
    }
  }

  /**
   * Removes what a failed or abandoned new store left: the temporary directory, or the spool and, for a
   * whole store in object storage, the chunks already uploaded (no metadata was: nothing reads as an
   * image, but orphans cost money). A part's chunks stay: they are valid, and a re-run rewrites them.
   */
  private async discardOutput(): Promise<void> {
    if (!this.fresh) return;
    await rm(this.dir, { recursive: true, force: true });
    if (!this.publisher) return;
    await this.publisher.close();
    if (this.finalDocs && isObjectStoreUrl(this.file)) {
      try {
        await (await objectStoreFor(this.file)).delete(await objectsUnder(this.file));
      } catch {
        // Best effort: without metadata the leftovers do not read as an image.
      }
    }
  }

  /** Renames the finished temporary store to the target (replacing an old one only when overwriting). */
  private async moveIntoPlace(): Promise<void> {
    let old: string | undefined;
    if (await exists(this.file)) {
      if (!this.overwrite) throw new FileExistsError(this.file);
      old = tempSibling(this.file, 'old');
      await rename(this.file, old);
    }
    try {
      await rename(this.dir, this.file);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') throw new FileExistsError(this.file);
      throw err;
    }
    if (old) await rm(old, { recursive: true, force: true });
  }

  async abort(): Promise<void> {
    this.closed = true;
    for (const L of this.levels) L.buffers.clear();
    await this.drain();
    for (const L of this.levels) await L.shards?.discard();
    await this.discardOutput();
  }
}

function markBlock(mask: Uint8Array, at: Vec5, stride: Vec5, part: Vec5): void {
  const [nt, nc, nz, ny, nx] = part;
  const start = at.reduce((acc, p, i) => acc + p * (stride[i] as number), 0);
  for (let t = 0; t < nt; t++)
    for (let c = 0; c < nc; c++)
      for (let z = 0; z < nz; z++)
        for (let y = 0; y < ny; y++) {
          const d = start + t * stride[0] + c * stride[1] + z * stride[2] + y * stride[3];
          mask.fill(1, d, d + nx);
        }
}

function isContiguous(part: Vec5, stride: Vec5): boolean {
  // Contiguous when each axis with more than one element has the stride of a dense block of `part`.
  let expect = 1;
  for (let i = 4; i >= 0; i--) {
    if ((part[i] as number) > 1 && stride[i] !== expect) return false;
    expect *= part[i] as number;
  }
  return true;
}

/** Copies a 5-D block of `part` elements from src (strided) into dst (strided) at dstPos. */
function copyBlock(
  src: TypedArray,
  srcStart: number,
  srcStride: Vec5,
  dst: TypedArray,
  dstPos: Vec5,
  dstStride: Vec5,
  part: Vec5,
): void {
  const [nt, nc, nz, ny, nx] = part;
  const dStart = dstPos.reduce((acc, p, i) => acc + p * (dstStride[i] as number), 0);
  for (let t = 0; t < nt; t++) {
    for (let c = 0; c < nc; c++) {
      for (let z = 0; z < nz; z++) {
        for (let y = 0; y < ny; y++) {
          const s = srcStart + t * srcStride[0] + c * srcStride[1] + z * srcStride[2] + y * srcStride[3];
          const d = dStart + t * dstStride[0] + c * dstStride[1] + z * dstStride[2] + y * dstStride[3];
          dst.set(src.subarray(s, s + nx), d);
        }
      }
    }
  }
}

/** True when the v3 array at `dir` stores its chunks in shards. */
async function isSharded(dir: string): Promise<boolean> {
  try {
    const doc = JSON.parse(await readFile(join(dir, 'zarr.json'), 'utf8')) as {
      codecs?: { name?: string }[];
    };
    return doc.codecs?.some((c) => c.name === 'sharding_indexed') === true;
  } catch {
    return false;
  }
}

async function openArray(store: NodeStore, format: ZarrFormat, path: string): Promise<AnyArray> {
  const loc = zarr.root(store).resolve(path);
  return (format === 3
    ? await zarr.open.v3(loc, { kind: 'array' })
    : await zarr.open.v2(loc, { kind: 'array', attrs: false })) as unknown as AnyArray;
}

/** zstd on this thread (small chunks, or no codec worker). */
function compressZstd(bytes: Uint8Array, level: number): Uint8Array {
  const zstd = nativeZstd();
  if (!zstd) throw new UnsupportedError('zstd: the native codec is not available', '');
  return zstd.compress(bytes, { compressionLevel: level });
}
