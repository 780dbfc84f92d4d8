/**
 * Reading any Bio-Formats format: one ReaderBackend per open file.
 *
 * Reader stack, per Java reader instance: ChannelSeparator(ImageReader) for the first reader of a file,
 * ChannelSeparator(Memoizer(ImageReader)) for the extra ones of a file slow to initialise (see MEMO_MIN_INIT_MS),
 * the separator added after setId (see newReader).
 * - ImageReader picks the format reader; `setFlattenedResolutions(false)` keeps series and resolution levels
 *   separate (levels are `setResolution`, series are `setSeries`).
 * - ChannelSeparator splits RGB planes (interleaved or not) into one plane per sample, so C has SizeC planes:
 *   OME-XML's SizeC already counts samples (an RGB image is SizeC=3 with one 3-sample Channel), and that is
 *   what bfio's C axis indexes, the same as the TIFF backend. Plane numbers come from the reader's
 *   `getIndex(z, c, t)`.
 * - Memoizer caches the initialised reader on disk so the extra readers of the pool open fast. The first reader
 *   is initialised fresh: a reader restored from the memo file reads slower (measured: CZI planes 1.25–1.5×
 *   slower), and the first reader serves every call that the extra ones do not. For the same reason the extra
 *   readers of a file that initialises quickly are opened fresh too.
 */

import { mkdir } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyBlock, swapBytes } from '@bfio/codecs';
import {
  BfioError,
  bytesPerPixel,
  CorruptFileError,
  type DType,
  type LevelInfo,
  type TypedArray,
  UnsupportedError,
  viewAs,
} from '@bfio/core';
import type { ReaderBackend, Region, SelectedImage, SeriesInfo } from '@bfio/core/backend';
import { type OME, parseOmeXml } from '@bfio/ome-xml';
import type { BlockTransfer } from './block-transfer.js';
import { javaMessage } from './errors.js';
import { bridge, type JavaObject } from './jvm.js';
import { dtypeFromFormatTools } from './pixel-types.js';
import { type Lease, ReaderPool } from './reader-pool.js';
import { createTransfer, type TransferMode } from './transfer.js';

/** Largest byte[] one openBytes call returns; bigger planes are read in bands (a Java array holds < 2 GiB). */
export const DEFAULT_MAX_CHUNK_BYTES = 64 * 1024 * 1024;
/**
 * Whole planes up to this size are read as lists of up to BATCH_BYTES per reader lease: the transfer serves a
 * list in a few pipelined bridge calls (transfer.ts), so the per-call cost and Node's copy overlap the decoding.
 */
const BATCH_PLANE_BYTES = 16 * 1024 * 1024;
const BATCH_BYTES = 64 * 1024 * 1024;
/** Requests up to this size are read with the main thread driving one reader synchronously (runSmall). */
const SYNC_MAX_BYTES = 8 * 1024 * 1024;
/**
 * Extra readers go through Memoizer only when the first reader took at least this long to initialise. Below
 * it, re-initialising (on a libuv thread, while the first reader serves) is cheap, and a fresh reader reads
 * faster than a restored one for the life of the file: on the 30-plane CZI sample, two readers read 1.0× one
 * with a restored second reader and more with a fresh one.
 */
const MEMO_MIN_INIT_MS = 1000;
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export interface BioformatsOpenOptions {
  /** Number of Java reader instances on the file (default: cores, at most 4). */
  readers?: number;
  maxWorkers?: number;
  /** Where Memoizer keeps its cache (default `<tmpdir>/bfio-bioformats-memo`). */
  memoDir?: string;
  /** Largest single openBytes transfer (tests lower it to exercise banding). */
  maxChunkBytes?: number;
  /**
   * How pixels cross from Java: 'jni' through this package's native addon (one copy, fastest), 'shm' through a
   * memory-mapped file in /dev/shm, 'bytes' as a returned byte[] (node-java's copy). 'auto' (default;
   * BFIO_BIOFORMATS_TRANSFER overrides) = 'jni' where the addon is built, else 'shm' where /dev/shm is.
   */
  transfer?: TransferMode;
  cleanMetadata?: boolean;
}

interface SeriesFacts {
  littleEndian: boolean;
  dtype: DType;
  rgbSamples: number;
  interleaved: boolean;
  dimensionOrder: string;
  levels: LevelInfo[];
}

function memoDirectory(options: BioformatsOpenOptions): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  return options.memoDir ?? join(tmpdir(), `bfio-bioformats-memo-${uid}`);
}

async function newReader(path: string, memoDir: string | undefined, store?: JavaObject): Promise<JavaObject> {
  const { java } = await bridge();
  const image = java.newInstanceSync('loci.formats.ImageReader');
  // Memoize only initialisations slower than 50 ms: fast formats are cheaper to re-open than to deserialise.
  const memo = memoDir
    ? java.newInstanceSync('loci.formats.Memoizer', image, 50, java.newInstanceSync('java.io.File', memoDir))
    : image;
  memo.setFlattenedResolutionsSync(false);
  if (store) memo.setMetadataStoreSync(store);
  await memo.setIdPromise(path);
  // ChannelSeparator wraps the reader only after setId: initialised through it, it would rewrite the metadata
  // store to one Channel per sample, while the format's own OME-XML has one Channel with SamplesPerPixel=3.
  // Its plane arithmetic is computed from the wrapped reader on each call, so wrapping late is sound.
  return java.newInstanceSync('loci.formats.ChannelSeparator', memo);
}

function describeFailure(path: string, err: unknown): BfioError {
  if (BfioError.isInstance(err)) return err;
  const message = javaMessage(err);
  if (/UnknownFormatException|Unknown file format/i.test(message)) {
    return new BfioError('unknown-format', `Bio-Formats does not recognise ${path} (${message})`, {
      file: path,
      cause: err,
    });
  }
  if (/FileNotFoundException|does not exist/i.test(message)) {
    return new BfioError('not-found', `File not found: ${path} (${message})`, { file: path, cause: err });
  }
  return new CorruptFileError(path, `Bio-Formats could not read it: ${message}`, undefined, err);
}

export async function openBioformats(
  path: string,
  options: BioformatsOpenOptions = {},
): Promise<ReaderBackend> {
  const { java, info } = await bridge();
  const service = java.newInstanceSync('loci.formats.services.OMEXMLServiceImpl');
  const store = service.createOMEXMLMetadataSync();
  const memoDir = memoDirectory(options);
  await mkdir(memoDir, { recursive: true });
  let first: JavaObject;
  let initMs: number;
  try {
    const started = performance.now();
    first = await newReader(path, undefined, store);
    initMs = performance.now() - started;
  } catch (err) {
    throw describeFailure(path, err);
  }
  try {
    const xml: string = service.getOMEXMLSync(store);
    const metadata = parseOmeXml(xml, { file: path, clean: options.cleanMetadata ?? true });
    const series: SeriesInfo[] = [];
    const facts: SeriesFacts[] = [];
    const seriesCount: number = first.getSeriesCountSync();
    for (let s = 0; s < seriesCount; s++) {
      first.setSeriesSync(s);
      const code: number = first.getPixelTypeSync();
      const dtype = dtypeFromFormatTools(code);
      if (!dtype)
        throw new UnsupportedError(
          `Bio-Formats pixel type code ${code} (series ${s}) is not supported`,
          path,
        );
      const levels: LevelInfo[] = [];
      const levelCount: number = first.getResolutionCountSync();
      for (let r = 0; r < levelCount; r++) {
        first.setResolutionSync(r);
        levels.push({
          sizeX: first.getSizeXSync(),
          sizeY: first.getSizeYSync(),
          sizeZ: first.getSizeZSync(),
          sizeC: first.getSizeCSync(),
          sizeT: first.getSizeTSync(),
          tileWidth: first.getOptimalTileWidthSync(),
          tileHeight: first.getOptimalTileHeightSync(),
        });
      }
      first.setResolutionSync(0);
      // ChannelSeparator hides RGB-ness; the wrapped reader still knows it (for `details`).
      const inner = first.getReaderSync();
      facts.push({
        littleEndian: first.isLittleEndianSync(),
        dtype,
        rgbSamples: inner.getRGBChannelCountSync(),
        interleaved: inner.isInterleavedSync(),
        dimensionOrder: first.getDimensionOrderSync(),
        levels,
      });
      series.push({ imageIndex: s, dtype, levels });
    }
    first.setSeriesSync(0);
    const format: string = first.getFormatSync();
    const max = Math.max(1, Math.min(4, options.readers ?? options.maxWorkers ?? availableParallelism()));
    const pool = new ReaderPool(first, max, () =>
      newReader(path, initMs >= MEMO_MIN_INIT_MS ? memoDir : undefined),
    );
    const transfer = (options.transfer ?? process.env.BFIO_BIOFORMATS_TRANSFER ?? 'auto') as TransferMode;
    if (!['auto', 'jni', 'shm', 'bytes'].includes(transfer))
      throw new BfioError(
        'invalid-data',
        `Unknown transfer '${transfer}' (use 'auto', 'jni', 'shm' or 'bytes')`,
      );
    return new BioformatsReader(path, format, metadata, series, facts, pool, {
      bioformatsVersion: info.bioformatsVersion,
      maxChunkBytes: options.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES,
      transfer,
      open: (reader) => createTransfer(java, reader, transfer),
    });
  } catch (err) {
    await first.closePromise().catch(() => {});
    throw describeFailure(path, err);
  }
}

/** One readRegion call: where its pixels go. */
interface Job {
  selection: SelectedImage;
  region: Region;
  out: TypedArray;
  width: number;
  bpp: number;
  planeLength: number;
  dtype: DType;
  swap: boolean;
  signal: AbortSignal | undefined;
}

interface Task {
  plane: number; // index into the region's planes (t, c, z order) of the first plane
  nos: number[]; // Bio-Formats plane numbers: one, or several consecutive whole planes (a batch)
  x: number;
  y: number;
  w: number;
  h: number;
}

class BioformatsReader implements ReaderBackend {
  readonly details: Readonly<Record<string, unknown>>;
  private closed = false;
  /** One transfer per Java reader, made on its first read. */
  private readonly transfers = new Map<JavaObject, BlockTransfer>();
  /** getIndex(z, c, t) per "series/level", filled as regions need them (-1 = not asked yet). */
  private readonly planeNumbers = new Map<string, Int32Array>();

  constructor(
    private readonly path: string,
    readonly format: string,
    readonly metadata: OME,
    readonly series: readonly SeriesInfo[],
    private readonly facts: readonly SeriesFacts[],
    private readonly pool: ReaderPool,
    private readonly settings: {
      bioformatsVersion: string;
      maxChunkBytes: number;
      transfer: TransferMode;
      open: (reader: JavaObject) => BlockTransfer;
    },
  ) {
    this.details = {
      bioformatsVersion: settings.bioformatsVersion,
      transfer: settings.transfer,
      maxReaders: pool.capacity,
      series: facts.map((f) => ({
        dimensionOrder: f.dimensionOrder,
        littleEndian: f.littleEndian,
        rgbSamples: f.rgbSamples,
        interleaved: f.interleaved,
      })),
    };
  }

  /** Number of Java readers opened so far on this file. */
  get readerCount(): number {
    return this.pool.size;
  }

  /** How the transfers made so far move bytes ('jni', 'shm' or 'bytes'). */
  get transferKinds(): string[] {
    return [...new Set([...this.transfers.values()].map((t) => t.kind))];
  }

  private transferOf(reader: JavaObject): BlockTransfer {
    let transfer = this.transfers.get(reader);
    if (!transfer) {
      transfer = this.settings.open(reader);
      this.transfers.set(reader, transfer);
    }
    return transfer;
  }

  async readRegion(
    selection: SelectedImage,
    region: Region,
    out: TypedArray,
    signal?: AbortSignal,
  ): Promise<void> {
    if (this.closed)
      throw new BfioError('closed', `The Bio-Formats reader of ${this.path} is closed`, { file: this.path });
    const facts = this.facts[selection.series]!;
    const bpp = bytesPerPixel(facts.dtype);
    const width = region.x[1] - region.x[0];
    const height = region.y[1] - region.y[0];
    const planeLength = width * height;
    if (planeLength === 0) return;

    // Plane numbers through the reader's own getIndex(z, c, t), remembered per series and level: each is a JNI
    // call (~5–25 µs), as much as a small plane's whole transfer.
    const key = `${selection.series}/${selection.level}`;
    const level = facts.levels[selection.level]!;
    let table = this.planeNumbers.get(key);
    if (!table) {
      table = new Int32Array(level.sizeZ * level.sizeC * level.sizeT).fill(-1);
      this.planeNumbers.set(key, table);
    }
    const at = (z: number, c: number, t: number) => (t * level.sizeC + c) * level.sizeZ + z;
    const missing = region.t.some((t) =>
      region.c.some((c) => table.subarray(at(region.z[0], c, t), at(region.z[1], c, t)).includes(-1)),
    );
    if (missing) {
      const lease = await this.pool.acquire();
      try {
        lease.select(selection.series, selection.level);
        for (const t of region.t)
          for (const c of region.c)
            for (let z = region.z[0]; z < region.z[1]; z++)
              if (table[at(z, c, t)] === -1) table[at(z, c, t)] = lease.reader.getIndexSync(z, c, t);
      } finally {
        this.pool.release(lease);
      }
    }
    const numbers: number[] = [];
    for (const t of region.t)
      for (const c of region.c)
        for (let z = region.z[0]; z < region.z[1]; z++) numbers.push(table[at(z, c, t)]!);

    // Bands: whole rows when they fit the chunk limit, else columns too (a row wider than the limit).
    const maxPixels = Math.max(1, Math.floor(this.settings.maxChunkBytes / bpp));
    const bandW = Math.min(width, maxPixels);
    const bandH = Math.max(1, Math.min(height, Math.floor(maxPixels / bandW)));
    const tasks: Task[] = [];
    const planeBytes = planeLength * bpp;
    const totalBytes = planeBytes * numbers.length;
    const small = totalBytes <= SYNC_MAX_BYTES;
    if (bandW === width && bandH === height && planeBytes <= BATCH_PLANE_BYTES && numbers.length > 1) {
      // Whole planes: several per lease (the per-call cost would dominate small ones). A small request is one
      // batch per reader (see runSmall); a large one three per reader, so a slower reader (restored from the
      // Memoizer cache) does not hold up the end.
      const batches = small ? this.pool.capacity : this.pool.capacity === 1 ? 1 : 3 * this.pool.capacity;
      const per = Math.max(
        1,
        Math.min(Math.floor(BATCH_BYTES / planeBytes), Math.ceil(numbers.length / batches)),
      );
      for (let plane = 0; plane < numbers.length; plane += per)
        tasks.push({ plane, nos: numbers.slice(plane, plane + per), x: 0, y: 0, w: width, h: height });
    } else {
      numbers.forEach((no, plane) => {
        for (let y = 0; y < height; y += bandH)
          for (let x = 0; x < width; x += bandW)
            tasks.push({
              plane,
              nos: [no],
              x,
              y,
              w: Math.min(bandW, width - x),
              h: Math.min(bandH, height - y),
            });
      });
    }

    const job: Job = {
      selection,
      region,
      out,
      width,
      bpp,
      planeLength,
      dtype: facts.dtype,
      swap: bpp > 1 && facts.littleEndian !== LITTLE_ENDIAN_HOST,
      signal,
    };
    try {
      if (small) await this.runSmall(job, tasks);
      else await this.runLanes(job, tasks);
    } catch (err) {
      if (BfioError.isInstance(err) || (signal?.aborted && err === signal.reason)) throw err;
      throw new CorruptFileError(
        this.path,
        `Bio-Formats failed reading series ${selection.series} level ${selection.level}: ${javaMessage(err)}`,
        undefined,
        err,
      );
    }
  }

  /**
   * A small request (≤ SYNC_MAX_BYTES): the tasks are split over the readers idle now; the others decode on
   * libuv threads while the main thread drives the first reader itself with synchronous bridge calls. For a
   * read of a few ms the thread hand-offs of an async call cost as much as the copy, so the main thread doing
   * a share is what lets two readers beat one here (and one reader reach plain Java's speed). The event loop
   * is blocked for that share only (~1–2 ms per MiB of decoded pixels).
   */
  private async runSmall(job: Job, tasks: Task[]): Promise<void> {
    const first = await this.pool.acquire();
    const leases = [first, ...this.pool.takeIdle(tasks.length - 1)];
    const groups = leases.map((_, i) =>
      tasks.slice(
        Math.round((i * tasks.length) / leases.length),
        Math.round(((i + 1) * tasks.length) / leases.length),
      ),
    );
    const run = async (k: number, sync: boolean) => {
      try {
        for (const task of groups[k]!) await this.runTask(job, leases[k]!, task, sync);
      } finally {
        this.pool.release(leases[k]!);
      }
    };
    // Started first: their Java calls are in flight on other threads before the main thread blocks.
    const others = Promise.allSettled(groups.slice(1).map((_, i) => run(i + 1, false)));
    // Alone while another reader is still to come, the call stays asynchronous: a loop of fully synchronous
    // reads never lets the event loop run, so the reader being opened would never be handed over. Beside
    // other readers, the byte[] route stays asynchronous: it brings every plane back through the event loop,
    // which the blocked main thread would hold up (measured 0.94× one reader).
    const sync =
      leases.length > 1
        ? this.transferOf(first.reader).kind !== 'bytes'
        : this.pool.size >= this.pool.capacity;
    const own = await Promise.allSettled([run(0, sync)]);
    // Every call has returned before an error is reported: no reader is released while Java still uses it.
    const settled = [...own, ...(await others)];
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  /** Asynchronous lanes, as many as the pool may hold readers: each keeps one Java reader busy. */
  private async runLanes(job: Job, tasks: Task[]): Promise<void> {
    let next = 0;
    let failure: unknown;
    const lane = async () => {
      while (next < tasks.length && failure === undefined) {
        const task = tasks[next++]!;
        const lease = await this.pool.acquire();
        try {
          await this.runTask(job, lease, task, false);
        } catch (err) {
          failure ??= err;
          throw err;
        } finally {
          this.pool.release(lease);
        }
      }
    };
    // All lanes end before the call does: nothing writes into `out` after readRegion has returned or thrown.
    await Promise.allSettled(Array.from({ length: Math.min(tasks.length, this.pool.capacity) }, lane));
    if (failure !== undefined) throw failure;
  }

  /** Reads one task's block(s) through the lease's reader into the output. */
  private async runTask(job: Job, lease: Lease, task: Task, sync: boolean): Promise<void> {
    const { selection, region, out, width, bpp, planeLength, signal } = job;
    if (signal?.aborted) throw signal.reason ?? new Error('aborted');
    const length = task.w * task.h * bpp;
    // A band of whole rows (or a batch of whole planes) is contiguous in the output: the transfer may fill it
    // in place.
    const direct =
      task.w === width
        ? new Uint8Array(
            out.buffer,
            out.byteOffset + (task.plane * planeLength + task.y * width) * bpp,
            length * task.nos.length,
          )
        : undefined;
    lease.select(selection.series, selection.level);
    const transfer = this.transferOf(lease.reader);
    const [x, y] = [region.x[0] + task.x, region.y[0] + task.y];
    const bytes =
      task.nos.length === 1
        ? await transfer.read(task.nos[0]!, { x, y, w: task.w, h: task.h, length, into: direct, sync })
        : await transfer.readMany(task.nos, { x, y, w: task.w, h: task.h, length, into: direct, sync });
    // (Synchronously from here: a transfer's scratch buffer is only reused by its next read.)
    if (bytes === direct) {
      if (job.swap) swapBytes(bytes, bpp);
    } else if (task.nos.length > 1) {
      throw new CorruptFileError(
        this.path,
        `Bio-Formats returned ${bytes.byteLength} bytes for ${task.nos.length} planes of ${length}`,
      );
    } else this.place(bytes, task, job.dtype, job.swap, out, task.plane * planeLength, width);
  }

  /** Copies one band into the planar output: whole rows at once (typed-array `set`, no per-pixel JS). */
  private place(
    bytes: Uint8Array,
    task: Task,
    dtype: DType,
    swap: boolean,
    out: TypedArray,
    planeOffset: number,
    width: number,
  ): void {
    const bpp = bytesPerPixel(dtype);
    const count = task.w * task.h;
    if (bytes.byteLength !== count * bpp) {
      throw new CorruptFileError(
        this.path,
        `Bio-Formats returned ${bytes.byteLength} bytes for a ${task.w}x${task.h} ${dtype} block`,
      );
    }
    if (swap) swapBytes(bytes, bpp);
    // Transfers hand over buffers at offset 0 (node-java's fresh ArrayBuffer, our scratch): the view is aligned.
    const view = viewAs(dtype, bytes.buffer, bytes.byteOffset, count);
    const start = planeOffset + task.y * width + task.x;
    copyBlock(view as never, 0, [task.w, 1], out as never, start, [width, 1], [task.h, task.w]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.close();
    for (const transfer of this.transfers.values()) transfer.close();
    this.transfers.clear();
  }
}
