/**
 * Chunk reads on threads of the addon's own (native-lane/lane.c): a chunk file (or a range of a shard) read, decoded
 * (zstd, or raw bytes) and placed into a read's output in one async call, with no codec worker.
 *
 * Why beside the WorkerPool: a worker costs ~25–40 ms of boot per thread (a 16384² Zarr read waited 54–77 ms
 * for its two before decoding its first chunk, where tensorstore's threads start at once) and a message round
 * trip per task (32–55 µs of CPU, which a 64³-chunk-at-a-time read pays 4,096 times). The lane's threads start
 * with the first owner (microseconds) and a queued chunk costs a few microseconds. Only the Zarr chunk reads the lane serves take it; encoders
 * and every other codec stay on the pool.
 *
 * Node only (the browser platform has no lane), and only when the addon is built. `BFIO_CHUNK_LANE=0` turns
 * it off. The lane's threads are the addon's own (sized by the widest owner), not libuv's pool, which the
 * process's file system calls need.
 */
import { laneAddon } from '#platform';
import { CodecError, type PlaceParams, type ScatterParams } from '../pool/worker-pool.js';

/** A chunk to read and decode: from a file (`path`, `range`) or from bytes in memory (`input`). */
export interface LaneJob {
  path?: string;
  /** [offset, length] of the file; the whole file without it. */
  range?: readonly [number, number];
  input?: Uint8Array;
  codec: 'zstd' | 'raw';
  /** Decoded bytes expected, exactly. */
  size: number;
  /** Where the decoded bytes go (at least `size` bytes) when they are not placed. */
  dst?: ArrayBufferView;
  /** Pieces placed into `place.target` (with `frames`: a run of encoded blocks back to back). */
  place?: PlaceParams;
}

const CODEC = { raw: 0, zstd: 1 } as const;

/**
 * A TIFF tile or strip: its bytes (`read`: a range of an open descriptor, kept open until `rows` settles; or
 * `input`), decoded, filtered and scattered as rows into `scatter.target` (placement.mjs's scatterRows).
 */
export interface RowsJob {
  read?: { fd: number; position: number; length: number };
  input?: Uint8Array;
  /** The codec-table name of the block's decoder: one `ChunkLane.rowsCodec` accepts. */
  codec: string;
  /** The block's decoded size at most (TIFF blocks may decode short: the rows are then checked). */
  size: number;
  /** Bytes per sample to swap (a big-endian file). */
  swap?: number;
  /** TIFF predictor 2 to undo. */
  horizontal?: { size: 1 | 2 | 4; rowLength: number; stride: number };
  scatter: ScatterParams;
}

const ROW_CODEC: Record<string, 1 | 2 | 3> = { 'zstd-decode': 1, inflate: 2, 'lzw-decode': 3 };

/**
 * The call's number arguments, reused: the addon copies them before it returns. A fresh Float64Array per
 * chunk is an off-heap buffer per chunk for V8 to track (a 64³-chunk-at-a-time read makes 4,096).
 */
const strides = new Float64Array(10);
let numbers = new Float64Array(1024);

/** `blocks` then `frames` in this thread's reused number buffer (grown when needed): their views. */
function numbersOf(blocks: readonly number[], frames: readonly number[] = []): [Float64Array, Float64Array] {
  const n = blocks.length + frames.length;
  if (n > numbers.length) numbers = new Float64Array(Math.max(2 * numbers.length, n));
  numbers.set(blocks, 0);
  numbers.set(frames, blocks.length);
  return [numbers.subarray(0, blocks.length), numbers.subarray(blocks.length, n)];
}

/** A failure of the addon as this package reports it: RangeErrors as they are, the rest as CodecErrors. */
function typed(err: unknown, codecName: string): Error {
  if (err instanceof RangeError) return err;
  const e = err as Error & { code?: string };
  return new CodecError(e.message, codecName, e.code);
}

export class ChunkLane {
  private constructor(
    private readonly addon: NonNullable<ReturnType<typeof laneAddon>>,
    /**
     * Chunks an owner keeps in flight: four per lane. The queue is the addon's, so a queued chunk holds no
     * thread and no memory (its output exists already), and a lane thread finds the next chunk queued while
     * the main thread settles the last one or collects garbage. With none queued a 16384² read took 0.74–0.79
     * s against 0.55–0.64; 3, 4 and 8 queued read it alike (0.50–0.61 s), and 1024³ in 64³ reads, 8 at once,
     * at least as fast with 8 (2.07–2.21 s against 2.12–2.56 with 4).
     */
    readonly depth: number,
  ) {}

  /**
   * The lane for an owner decoding `lanes` chunks at once (the addon's thread pool grows to `lanes` threads,
   * shared by every owner and every environment of the process), or undefined when it is not offered: no
   * addon (not built, or a browser) or switched off.
   */
  static for(lanes: number): ChunkLane | undefined {
    const addon = laneAddon();
    if (!addon) return undefined;
    const n = Math.max(1, Math.floor(lanes));
    addon.lanes(n);
    return new ChunkLane(addon, 4 * n);
  }

  /** Whether this build of the lane compresses TIFF tiles (`deflate`). */
  get encodes(): boolean {
    return typeof this.addon.deflate === 'function';
  }

  /**
   * Compresses a TIFF tile as a zlib stream (TIFF Deflate) with libdeflate at `level` into `output`, after
   * the horizontal predictor (`predict`) is applied to `input` in place. Resolves with the bytes written, 0
   * when `output` is too small. Both arrays must stay alive and unchanged until it settles.
   */
  deflate(
    input: ArrayBufferView,
    level: number,
    output: Uint8Array,
    predict?: { size: 1 | 2 | 4; rowLength: number; stride: number },
  ): Promise<number> {
    const fn = this.addon.deflate;
    if (!fn) return Promise.reject(new Error('this build of the chunk lane does not encode'));
    return fn(input, level, output, predict?.size ?? 0, predict?.rowLength ?? 0, predict?.stride ?? 0);
  }

  /** Whether `rows` decodes blocks of this codec (codec-table name): zstd, Deflate (zlib streams), LZW. */
  static rowsCodec(codec: string): boolean {
    return codec in ROW_CODEC;
  }

  /**
   * Reads, decodes, filters and scatters one TIFF block. Any failure rejects (a CodecError with code
   * 'DECODE', 'SHORT_OUTPUT' or the errno name; a RangeError for rows outside the target): the caller's
   * ordinary path then reads the block again and reports what is wrong with it.
   */
  async rows(job: RowsJob): Promise<void> {
    const s = job.scatter;
    const h = job.horizontal;
    const codec = ROW_CODEC[job.codec];
    if (!codec) throw new RangeError(`the chunk lane does not decode ${job.codec}`);
    try {
      await this.addon.decodeRows(
        job.read ? job.read.fd : -1,
        job.read ? job.read.position : 0,
        job.read ? job.read.length : 0,
        job.input ?? null,
        codec,
        job.size,
        job.swap ?? 0,
        h ? h.size : 0,
        h ? h.rowLength : 0,
        h ? h.stride : 0,
        s.target,
        s.rows,
        s.rowBytes,
        s.srcOffset,
        s.srcStride,
        s.dstOffset,
        s.dstStride,
      );
    } catch (err) {
      throw typed(err, job.codec);
    }
  }

  /**
   * Reads, decodes and places (or returns into `dst`) one chunk. A file that cannot be opened rejects with a
   * CodecError whose `code` is the errno name ('ENOENT' for a missing chunk); bytes that do not decode to
   * `size`, with code 'DECODE'; a piece outside its source or target, with a RangeError.
   */
  async run(job: LaneJob): Promise<void> {
    const { place } = job;
    let blocks: Float64Array | null = null;
    let frames: Float64Array | null = null;
    if (place) {
      strides.set(place.srcStride, 0);
      strides.set(place.dstStride, 5);
      [blocks, frames] = numbersOf(place.blocks, place.frames);
    }
    try {
      // The addon copies the number buffers before it returns its promise: the next call may reuse them.
      await this.addon.decode(
        job.path ?? null,
        job.input ?? null,
        job.range ? job.range[0] : 0,
        job.range ? job.range[1] : -1,
        CODEC[job.codec],
        job.size,
        job.dst ?? null,
        place ? place.target : null,
        place ? place.bytes : 1,
        place ? strides : null,
        blocks,
        place?.frames ? frames : null,
      );
    } catch (err) {
      throw typed(err, job.codec === 'zstd' ? 'zstd-decode' : 'raw');
    }
  }
}
