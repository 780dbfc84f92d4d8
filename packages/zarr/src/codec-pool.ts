/**
 * Chunk work on @bfio/codecs' shared WorkerPool: zstd both ways, and whole-chunk tasks where the worker also
 * reads the chunk file (or a range of a shard) and places the decoded pixels into shared memory, or encodes
 * a chunk and writes its file — the codec chain of @bfio/codecs (run-task.mjs), so the main thread only
 * hands bytes over. Chunk compression and decompression use every core and never block the event loop.
 *
 * BFIO_ZARR_WORKERS=0 turns it off. When the pool cannot run a task (its workers fail to start), the task
 * rejects with PoolUnavailable, the pool is not used again by this package, and callers do the work on
 * the main thread.
 */
import {
  availableLanes,
  ChunkLane,
  CodecError,
  type CodecParams,
  type LaneJob,
  onSharedMemory,
  type PlaceParams,
  sharedWorkerPool,
  type WorkerPool,
} from '@bfio/codecs';
import { Limiter } from '@bfio/core/backend';

const EMPTY = new Uint8Array(0);

/**
 * `size` bytes the lane will overwrite whole (or drop on failure): not zero-filled first, where Node can give
 * that (a 2 MiB chunk's memset on the main thread for every chunk a window reads through the cache).
 */
function uninitialized(size: number): Uint8Array {
  const B = (globalThis as { Buffer?: { allocUnsafeSlow(n: number): Uint8Array } }).Buffer;
  return B ? B.allocUnsafeSlow(size) : new Uint8Array(size);
}

/** A chunk file that does not exist (the array's fill value stands for it). */
export const MISSING = Symbol('missing chunk');

export type { PlaceParams };

/** The codec-table names of the chunk codecs this pool runs. */
const DECODER = { zstd: 'zstd-decode', raw: 'raw' } as const;
const ENCODER = { zstd: 'zstd-encode', raw: 'raw' } as const;

/** A whole shard's task (see @bfio/codecs' shard-task.mjs): 5-D shapes t,c,z,y,x. */
export interface ShardTask {
  /** The shard file (its folder must exist). */
  path: string;
  /** Bytes per element. */
  bytes: number;
  /** The block's shape: the part of the shard inside the array. */
  extent: number[];
  /** The inner chunks' shape. */
  chunks: number[];
  /** Chunks per shard along each axis. */
  per: number[];
  codec: 'zstd' | 'raw';
  level: number;
  /** zstd's content checksum. */
  checksum: boolean;
  /**
   * Where the block lies in shared memory when it is not the task's input: `view` over a SharedArrayBuffer,
   * the block's first element at element `offset`, 5-D element strides `stride`.
   */
  source?: { view: Uint8Array; offset: number; stride: number[] };
}

/** The pool could not run the task (no worker): the caller should do it on the main thread. */
export class PoolUnavailable extends Error {
  constructor(readonly reason: Error) {
    super(`codec worker unavailable: ${reason.message}`);
    this.name = 'PoolUnavailable';
  }
}

let broken = false;
let defaultPool: CodecPool | undefined;

/** Whether this package runs its codecs on the pool: not switched off, not failed. */
function enabled(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return !broken && env?.BFIO_ZARR_WORKERS !== '0';
}

/**
 * One reader's or writer's access to the shared pool: at most `maxWorkers` of its tasks in flight (more,
 * queued, when it may use every worker of the pool).
 */
export class CodecPool {
  private readonly limiter: Limiter;
  /**
   * Local chunk reads (read, decode, place) on the chunk lane's threads instead of the workers: no worker
   * boot and no message per chunk (@bfio/codecs' ChunkLane). Undefined without the addon; then the workers
   * read.
   */
  private readonly lane?: ChunkLane;
  /** At most the lane's depth of this owner's chunks at once (four per lane, most of them queued). */
  private readonly laneLimiter: Limiter;
  private constructor(
    /** How many of its tasks this owner runs at once (its `maxWorkers`). */
    readonly workers: number,
  ) {
    // Entitled to every worker: queue as deep as the reader's lanes (the pool's size still bounds how many
    // run), so a worker always finds its next chunk while the main thread places pixels.
    this.limiter = new Limiter(workers >= this.pool().maxWorkers ? 2 * workers + 2 : workers);
    this.lane = ChunkLane.for(workers);
    this.laneLimiter = new Limiter(this.lane?.depth ?? workers);
  }

  /** Whether local chunk reads skip the workers (they then need not be started for a reader). */
  get readsOnLane(): boolean {
    return this.lane !== undefined;
  }

  /**
   * One chunk through the lane, in this owner's share of it; an aborted read stops before its next chunk.
   * Placed (`job.place`): no bytes back. Else the decoded bytes, in `dest` when it has room.
   */
  private onLane(job: Omit<LaneJob, 'dst'>, signal?: AbortSignal, dest?: ArrayBuffer): Promise<Uint8Array> {
    const size = job.size;
    return this.laneLimiter.run(async () => {
      signal?.throwIfAborted();
      const dst = job.place
        ? undefined
        : dest && dest.byteLength >= size
          ? new Uint8Array(dest, 0, size)
          : uninitialized(size);
      await this.lane!.run({ ...job, dst });
      return dst ?? EMPTY;
    });
  }

  /** The pool for an owner with this `maxWorkers` (default: cores), or undefined when it is not used. */
  static get(maxWorkers?: number): CodecPool | undefined {
    if (!enabled()) return undefined;
    return new CodecPool(Math.max(1, Math.floor(maxWorkers ?? availableLanes())));
  }

  /** For owners without options (zarrita's codec registry): the default `maxWorkers`. */
  static shared(): CodecPool | undefined {
    if (!enabled()) return undefined;
    defaultPool ??= new CodecPool(availableLanes());
    return defaultPool;
  }

  /**
   * The process-wide pool with our module (asked each time: it may have been replaced). Its size comes
   * from whoever created it first.
   */
  private pool(): WorkerPool {
    return sharedWorkerPool({ maxWorkers: this.workers });
  }

  /**
   * Starts this owner's share of the workers now (each loads the codec module and the addon), so a writer's
   * first chunks do not wait for them. Failures are left to the real tasks.
   */
  warm(): void {
    if (broken) return;
    this.pool().warm(this.workers);
  }

  /**
   * Compresses `input`; with `transfer`, an input spanning its whole ArrayBuffer is moved, not copied, and
   * handed back through `recycle` once encoded (else it would be garbage on the worker, which collects
   * rarely: a sharded write's 512 KiB inner chunks piled up there by the hundred).
   */
  compress(
    input: Uint8Array,
    level: number,
    checksum: boolean,
    transfer = false,
    recycle?: (buffer: ArrayBuffer) => void,
  ): Promise<Uint8Array> {
    const whole =
      transfer &&
      input.byteOffset === 0 &&
      input.byteLength === input.buffer.byteLength &&
      input.buffer instanceof ArrayBuffer;
    const back = whole && recycle ? (b: Uint8Array) => recycle(b.buffer as ArrayBuffer) : undefined;
    return this.run('zstd-encode', input, { level, checksum }, whole, undefined, back);
  }

  /**
   * Encodes a chunk and writes it as the file `path` on a worker (the chain's `write` sink): the main thread only
   * hands the bytes over. An `input` spanning its whole ArrayBuffer is moved to the worker (unusable here
   * afterwards) and handed back through `recycle` once the file is written; one in shared memory is read
   * there (the caller must not change it before this resolves); other inputs are copied.
   */
  async writeChunk(
    path: string,
    input: Uint8Array,
    codec: 'zstd' | 'raw',
    level: number,
    recycle?: (buffer: ArrayBuffer) => void,
  ): Promise<void> {
    const whole =
      input.byteOffset === 0 &&
      input.byteLength === input.buffer.byteLength &&
      input.buffer instanceof ArrayBuffer;
    // Shared memory is read by the worker where it lies (the caller waits for the write before reusing it).
    await this.run(
      ENCODER[codec],
      input,
      { level, write: { path } },
      whole || onSharedMemory(input),
      undefined,
      whole && recycle ? (back: Uint8Array) => recycle(back.buffer as ArrayBuffer) : undefined,
    );
  }

  /**
   * Builds a whole shard on a worker and writes it as the file `shard.path` (@bfio/codecs' shard-task.mjs:
   * the worker cuts the block into the inner chunks, encodes them, writes chunks and index to a temporary
   * sibling and renames it). The block is `block`, which must span its whole ArrayBuffer: it is moved to the
   * worker (unusable here afterwards) and handed back through `recycle` once the shard is written; or, with
   * `shard.source`, it is read where it lies in shared memory (`block` is then ignored).
   */
  async writeShard(
    block: Uint8Array,
    shard: ShardTask,
    recycle?: (buffer: ArrayBuffer) => void,
  ): Promise<void> {
    const moved = shard.source === undefined;
    await this.run(
      'zarr-shard-write',
      moved ? block : EMPTY,
      { shard },
      moved,
      undefined,
      moved && recycle ? (back: Uint8Array) => recycle(back.buffer as ArrayBuffer) : undefined,
    );
  }

  /**
   * Decodes a chunk whose bytes are `input` (fetched from a remote store; moved to the worker): `size`
   * decoded bytes, or, with `place`, placed into shared memory by the worker (returns no bytes).
   */
  decodeChunk(
    input: Uint8Array,
    codec: 'zstd' | 'raw',
    size: number,
    place?: PlaceParams,
    signal?: AbortSignal,
  ): Promise<Uint8Array> {
    if (this.lane) return this.onLane({ input, codec, size, place }, signal);
    const whole = input.byteOffset === 0 && input.byteLength === input.buffer.byteLength;
    return this.run(DECODER[codec], input, { outputSize: size, exact: true, place }, whole, signal);
  }

  /** Any codec of the table on this owner's share of the pool (the input is copied to the worker). */
  task(codec: string, input: Uint8Array, params: CodecParams): Promise<Uint8Array> {
    return this.run(codec, input, params, false);
  }

  /**
   * Has a worker fetch a remote chunk itself (`request`: its URL, and for a chunk in a shard its byte range)
   * and decode it: `size` decoded bytes, or, with `place`, placed into shared memory (no bytes back). A
   * missing object (HTTP 404) rejects with a CodecError of code 'ENOENT'.
   */
  fetchChunk(
    request: NonNullable<CodecParams['fetch']>,
    codec: 'zstd' | 'raw',
    size: number,
    place?: PlaceParams,
    signal?: AbortSignal,
  ): Promise<Uint8Array> {
    // Not through this owner's limiter: fetching tasks wait on the network first and several share a worker
    // (the pool's `fetchesPerWorker`); the reader's lanes bound how many are in flight.
    return this.run(
      DECODER[codec],
      EMPTY,
      { fetch: request, outputSize: size, exact: true, place },
      false,
      signal,
      undefined,
      undefined,
      false,
    );
  }

  decompress(input: Uint8Array): Promise<Uint8Array> {
    return this.run('zstd-decode', input, {}, false);
  }

  /**
   * Reads a chunk file (or bytes `range` of it: a chunk in a shard) and decodes it on a worker: `size` decoded
   * bytes, or MISSING when there is no file.
   * `dest` (moved to the worker, unusable afterwards) receives the result when it has `size` bytes.
   */
  async readChunk(
    path: string,
    codec: 'zstd' | 'raw',
    size: number,
    dest?: ArrayBuffer,
    range?: [number, number],
  ): Promise<Uint8Array | typeof MISSING> {
    try {
      if (this.lane) return await this.onLane({ path, range, codec, size }, undefined, dest);
      return await this.run(
        DECODER[codec],
        EMPTY,
        { file: { path, range }, outputSize: size, exact: true },
        false,
        undefined,
        undefined,
        dest,
      );
    } catch (err) {
      if (err instanceof CodecError && (err.code === 'ENOENT' || err.code === 'ENOTDIR')) return MISSING;
      throw err;
    }
  }

  /**
   * Reads a chunk file, decodes it on a worker and has the worker copy its blocks into shared memory
   * (`place`, see worker-codecs.mjs): true when placed, false when there is no file (nothing written).
   */
  async placeChunk(
    path: string,
    codec: 'zstd' | 'raw',
    size: number,
    place: PlaceParams,
    signal?: AbortSignal,
    range?: [number, number],
  ): Promise<boolean> {
    try {
      if (this.lane) {
        await this.onLane({ path, range, codec, size, place }, signal);
        return true;
      }
      await this.run(
        DECODER[codec],
        EMPTY,
        { file: { path, range }, outputSize: size, exact: true, place },
        false,
        signal,
      );
      return true;
    } catch (err) {
      if (err instanceof CodecError && (err.code === 'ENOENT' || err.code === 'ENOTDIR')) return false;
      throw err;
    }
  }

  private async run(
    codec: string,
    input: Uint8Array,
    params: CodecParams,
    transfer: boolean,
    signal?: AbortSignal,
    returnInput?: (input: Uint8Array) => void,
    spare?: ArrayBuffer,
    limited = true,
  ): Promise<Uint8Array> {
    if (broken) throw new PoolUnavailable(new Error('the codec workers failed to start'));
    try {
      // A chunk read from a local file may wait on a busy worker behind the one it decodes (RunOptions.queued):
      // the worker then starts it when done, not after a round trip through this thread, which placing
      // pixels, collecting garbage or the caller's own work stretches (a 64³-chunk-at-a-time read left
      // the workers idle 40% of the time). Chunks placed into a shared result too: a busy worker collects
      // its handles to dropped results before its next queued task (node-worker.mjs; when it collected only
      // between turns of its event loop, kept busy it held 2 GiB of dropped 32 MiB results).
      const queued = params.file !== undefined;
      const task = () =>
        this.pool().run(codec, input, params, { transfer, signal, returnInput, spare, queued });
      return await (limited ? this.limiter.run(task) : task());
    } catch (err) {
      if (err instanceof CodecError) throw err;
      if (signal?.aborted) throw err;
      // Not the codec's failure but the pool's (a worker could not start or died): stop using it, unless
      // it was only closed (replaced by setSharedWorkerPool). A task whose input was moved to a dead worker
      // cannot be redone here (its buffer is gone).
      const reason = err instanceof Error ? err : new Error(String(err));
      if (!/worker pool (is|was) closed/.test(reason.message)) broken = true;
      if (transfer && input.byteLength === 0 && !params.file) throw reason;
      throw new PoolUnavailable(reason);
    }
  }
}
