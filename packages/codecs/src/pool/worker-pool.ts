/**
 * The pool of codec workers (decode/encode of tiles and chunks), shared per process or page, so that big
 * blocks never block the event loop and decoding uses every core: worker_threads on Node, module Web Workers
 * in a browser (platform/*.ts, chosen by the `#platform` import).
 *
 * A task is (codec name, input bytes, params) → output bytes, run by run-task.mjs in the worker: source,
 * prefilter, codec, size check, unfilter, sink (see there). Input and output ArrayBuffers are transferred
 * (moved, not copied) between threads. Workers run plain ESM with codec code only (plus any `modules`
 * given): on Node they never load the Java addon, which crashes in worker_threads.
 *
 * Workers start lazily, up to `maxWorkers`, and are unref'd while idle: an idle pool never keeps the process
 * alive, and a pending task always does.
 */
import { availableLanes, spawnWorker } from '#platform';
import type { PlatformWorker } from '../platform/types.js';
import { onSharedMemory } from '../shared-memory.js';

export interface WorkerPoolOptions {
  /** Number of workers (default: the cores, `os.availableParallelism()` / `navigator.hardwareConcurrency`). */
  maxWorkers?: number;
  /**
   * URLs (file: URLs or absolute paths) of plain ESM modules loaded in every worker, each exporting
   * `codecs: Record<string, (input: Uint8Array, params: object) => Uint8Array | Promise<Uint8Array>>`.
   */
  modules?: string[];
  /**
   * Tasks that fetch their input (`params.fetch`) one worker may have at once (default 8): their requests
   * overlap while the worker decodes one at a time, so a pool of a few workers keeps enough requests in
   * flight to hide the network's latency. Other tasks get a worker of their own.
   */
  fetchesPerWorker?: number;
}

export interface RunOptions {
  /**
   * Move `input`'s ArrayBuffer to the worker instead of copying it: faster, but `input` is unusable
   * afterwards. Only valid when `input` is the whole of its ArrayBuffer. An input on a SharedArrayBuffer (any
   * part of one) is then neither moved nor copied: the worker reads it where it is, and the caller must leave
   * it alone until the task settles. Default false.
   */
  transfer?: boolean;
  /** Drop the task if it has not started yet when aborted (a running task finishes, its result is dropped). */
  signal?: AbortSignal;
  /**
   * A buffer the caller no longer needs (moved to the worker): when the output fits, it is returned in it,
   * so a caller decoding block after block reuses the same memory instead of allocating fresh buffers. A
   * SharedArrayBuffer is written where it is (nothing moves between threads, so no buffer is made per task).
   */
  spare?: ArrayBufferLike;
  /**
   * With `transfer: true`: called with the input (its buffer moved back from the worker, contents
   * unspecified) before the task resolves, so a caller encoding buffer after buffer can reuse them.
   * Not called when the task fails or when the result is the input's own buffer.
   */
  returnInput?: (input: Uint8Array) => void;
  /**
   * May wait on a busy worker behind one other such task (never a fetching one) when no worker is idle, so
   * the worker starts it as soon as it is done instead of after a round trip through this thread, which a
   * busy or descheduled main thread stretches: for streams of tasks such as a writer's tiles. Default false.
   */
  queued?: boolean;
}

/** The codecs of the table (table.node.mjs, table.browser.mjs); `params` in run-task.mjs and each codec. */
export type BuiltinCodec =
  | 'inflate'
  | 'inflate-raw'
  | 'gunzip'
  | 'deflate'
  | 'deflate-raw'
  | 'gzip'
  | 'zstd-decode'
  | 'zstd-encode'
  | 'lzw-decode'
  | 'lzw-encode'
  | 'jpeg-decode'
  | 'jpeg-encode'
  | 'packbits-decode'
  | 'blosc-decode'
  | 'blosc-encode'
  | 'lz4-decode'
  | 'lz4-encode'
  | 'raw'
  | 'echo';

/** Params understood by the built-in codecs. */
export interface CodecParams {
  /** Expected output size: the whole result is written into one buffer of that size. */
  outputSize?: number;
  /** With `outputSize`: the result must have exactly that many bytes (else the task fails). */
  exact?: boolean;
  /** Fail instead of growing past this many output bytes (bounds corrupt input). */
  maxOutputLength?: number;
  /** Compression level for the encoders. */
  level?: number;
  /**
   * zlib's memLevel for the encoders (1–9, default 8). 9 (a bigger match hash) deflates level-1
   * microscopy tiles ~7 % faster to the same size.
   */
  memLevel?: number;
  /**
   * Encoders, before compressing: horizontal differencing (TIFF predictor 2) of `size`-byte samples, in
   * place in the input, rows of `rowLength` samples, `stride` samples per pixel.
   */
  predict?: { size: 1 | 2 | 4; rowLength: number; stride: number };
  /** After decoding: reverse the byte order of samples of this many bytes (2, 4, 8). */
  swap?: number;
  /** After decoding (and swapping): undo horizontal differencing on unsigned samples. */
  horizontal?: { size: 1 | 2 | 4; rowLength: number; stride: number };
  /**
   * Last: copy rows of the result into shared memory (`target` must be a view of a SharedArrayBuffer) and
   * return no bytes: row r goes from `srcOffset + r * srcStride` to `dstOffset + r * dstStride`. Lets a
   * caller with a shared output array have workers do the placement (and its page faults) too.
   */
  scatter?: ScatterParams;
  /**
   * First: the worker reads its input itself, `length` bytes at `position` of file descriptor `fd` (open
   * in this process, and kept open until the task settles); `input` is then ignored (pass an empty array).
   * A short read fails the task with code 'SHORT_READ'.
   */
  read?: { fd: number; position: number; length: number };
  /**
   * First: the worker reads the file `path` itself (or `range` = [offset, length] of it). A missing file
   * fails the task with code 'ENOENT' (or 'ENOTDIR'). Node only.
   */
  file?: { path: string; range?: [number, number] };
  /**
   * First: the worker fetches an HTTP range itself (browser and Node), or the whole object without
   * `length`; the request may take `timeoutMs` in all (worker/fetch-range.mjs).
   */
  fetch?: {
    url: string;
    offset?: number;
    length?: number;
    headers?: Record<string, string>;
    timeoutMs?: number;
  };
  /** Last: the result becomes the file `path` (its folder must exist); the task returns no bytes. Node only. */
  write?: { path: string };
  /** Last: 5-D pieces of the result copied into shared memory (placement.mjs `placeBlocks`); no bytes back. */
  place?: PlaceParams;
  /** 'deflate' only: false keeps libdeflate out (node:zlib's output; for comparisons). */
  native?: boolean;
  /** Codec-specific params (JPEG tables, quality, ...). */
  [param: string]: unknown;
}

/** See placement.mjs `placeBlocks`. */
export interface PlaceParams {
  /** The output array's bytes: a view of a SharedArrayBuffer. */
  target: Uint8Array;
  /** Bytes per element (block and output have the same type). */
  bytes: number;
  /** Element strides along t, c, z, y, x of the block and of the output. */
  srcStride: number[];
  dstStride: number[];
  /** 7 numbers per piece: block offset, output offset, counts along t, c, z, y, x (elements). */
  blocks: number[];
  /**
   * The input is this many encoded blocks back to back (their byte lengths), each decoding to an equal share
   * of `outputSize`: decoded and placed one at a time (run-task.mjs `placeFrames`).
   */
  frames?: number[];
  [key: string]: unknown;
}

export interface ScatterParams {
  target: Uint8Array;
  rows: number;
  rowBytes: number;
  srcOffset: number;
  srcStride: number;
  dstOffset: number;
  dstStride: number;
}

interface Task {
  id: number;
  codec: string;
  input: Uint8Array;
  params: CodecParams;
  transfer: boolean;
  spare?: ArrayBufferLike;
  returnInput?: (input: Uint8Array) => void;
  queued: boolean;
  resolve: (out: Uint8Array) => void;
  reject: (err: Error) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

interface Slot {
  worker: PlatformWorker;
  /**
   * Its tasks by id: one, or up to `fetchesPerWorker` fetching tasks (the worker decodes those one at a
   * time, run-task.mjs), or up to `QUEUED_PER_WORKER` queued ones (RunOptions.queued: run one after another,
   * reply.mjs); never a fetching task beside another kind.
   */
  tasks: Map<number, Task>;
  /** Tasks this worker finished: a worker that dies before its first one cannot start at all. */
  done: number;
  /** Started before `addModules` added a module: replaced by a fresh worker once its task is done. */
  stale?: boolean;
}

/**
 * An error raised by a task inside a worker; `codecName` says which codec, `stage` 'fetch' when the task's
 * own request (`params.fetch`) failed rather than the codec.
 */
export class CodecError extends Error {
  constructor(
    message: string,
    readonly codecName: string,
    readonly code?: string,
    readonly stage?: string,
  ) {
    super(message);
    this.name = 'CodecError';
  }
}

export class WorkerPool {
  readonly maxWorkers: number;
  private readonly modules: string[];
  private readonly fetchesPerWorker: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;

  constructor(options: WorkerPoolOptions = {}) {
    this.maxWorkers = Math.max(1, Math.floor(options.maxWorkers ?? availableLanes()));
    this.modules = (options.modules ?? []).map(moduleUrl);
    this.fetchesPerWorker = Math.max(1, Math.floor(options.fetchesPerWorker ?? 8));
  }

  /**
   * Load more codec modules (e.g. a backend's, when the shared pool was created before it was needed).
   * Workers import their modules only when they start: idle workers are stopped now and busy ones once
   * their task is done, so every later task runs on a worker that has all the modules. Known URLs are ignored.
   */
  addModules(modules: readonly string[]): void {
    const added = modules.map(moduleUrl).filter((m) => !this.modules.includes(m));
    if (added.length === 0 || this.closed) return;
    this.modules.push(...added);
    for (const slot of [...this.slots]) {
      if (slot.tasks.size > 0) slot.stale = true;
      else this.retire(slot);
    }
  }

  /**
   * Starts workers now, up to `n` of them (default: all), so that an owner's first real tasks do not wait
   * ~0.1 s for each worker to load its codec modules. Failures are left to the real tasks.
   */
  warm(n = this.maxWorkers): void {
    if (this.closed) return;
    for (let i = this.slots.length; i < Math.min(n, this.maxWorkers); i++)
      this.run('echo', new Uint8Array(1)).catch(() => {});
  }

  /** Number of worker threads started so far. */
  get started(): number {
    return this.slots.length;
  }

  /** Tasks waiting for a worker plus tasks running. */
  get pending(): number {
    return this.queue.length + this.slots.reduce((n, s) => n + s.tasks.size, 0);
  }

  /** Run one codec task on a worker; resolves with the output bytes (a fresh ArrayBuffer, owned by the caller). */
  run(codec: BuiltinCodec | string, input: Uint8Array, params: CodecParams = {}, options: RunOptions = {}) {
    return new Promise<Uint8Array>((resolve, reject) => {
      if (this.closed) {
        reject(new Error('the worker pool is closed'));
        return;
      }
      const { signal } = options;
      if (signal?.aborted) {
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        return;
      }
      const whole = input.byteOffset === 0 && input.byteLength === input.buffer.byteLength;
      // Shared memory is never moved: any part of it is read where it lies.
      if (options.transfer && !whole && !onSharedMemory(input)) {
        reject(new RangeError('transfer: true needs an input that spans its whole ArrayBuffer'));
        return;
      }
      const task: Task = {
        id: this.nextId++,
        codec,
        input,
        params,
        transfer: options.transfer === true,
        spare: options.spare,
        returnInput: options.transfer === true ? options.returnInput : undefined,
        queued: options.queued === true && params.fetch === undefined,
        resolve,
        reject,
        signal,
      };
      if (signal) {
        task.onAbort = () => {
          const i = this.queue.indexOf(task);
          if (i >= 0) this.queue.splice(i, 1);
          reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        };
        signal.addEventListener('abort', task.onAbort, { once: true });
      }
      this.queue.push(task);
      this.dispatch();
    });
  }

  /** Stop every worker; queued tasks are rejected. The pool cannot be used afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const task of this.queue.splice(0)) this.finish(task, new Error('the worker pool was closed'));
    const slots = this.slots.splice(0);
    for (const slot of slots) {
      for (const task of slot.tasks.values()) this.finish(task, new Error('the worker pool was closed'));
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const fetching = isFetch(this.queue[0]!);
      let slot = this.slots.find((s) => s.tasks.size === 0);
      if (!slot && this.slots.length < this.maxWorkers) slot = this.spawn();
      // A fetching task may join a worker whose tasks all fetch too (the least busy one).
      if (!slot && fetching) {
        for (const s of this.slots) {
          if (s.tasks.size >= this.fetchesPerWorker || s.stale) continue;
          if (![...s.tasks.values()].every(isFetch)) continue;
          if (!slot || s.tasks.size < slot.tasks.size) slot = s;
        }
      }
      // A queued task may wait behind one other on the least busy worker whose tasks are all queued ones.
      if (!slot && this.queue[0]!.queued) {
        for (const s of this.slots) {
          if (s.tasks.size >= QUEUED_PER_WORKER || s.stale) continue;
          if (![...s.tasks.values()].every((t) => t.queued)) continue;
          if (!slot || s.tasks.size < slot.tasks.size) slot = s;
        }
      }
      if (!slot) return;
      const task = this.queue.shift()!;
      slot.tasks.set(task.id, task);
      slot.worker.ref(); // a pending task keeps the process alive
      // A copy when the caller keeps its bytes (the copy's buffer is then moved, never cloned twice). Not
      // `slice()`: a Buffer's slice is a view of the same memory, often Node's shared pool.
      const input = task.transfer ? task.input : copyOf(task.input);
      // Shared memory is shared, not moved (a SharedArrayBuffer in a transfer list is an error).
      const transfer: ArrayBuffer[] = input.buffer instanceof ArrayBuffer ? [input.buffer] : [];
      const spare =
        task.spare && task.spare !== input.buffer && task.spare.byteLength > 0 ? task.spare : undefined;
      if (spare instanceof ArrayBuffer) transfer.push(spare);
      slot.worker.post(
        {
          id: task.id,
          codec: task.codec,
          input,
          params: task.params,
          spare,
          returnInput: !!task.returnInput,
        },
        transfer,
      );
    }
  }

  private spawn(): Slot {
    const worker = spawnWorker(this.modules);
    const slot: Slot = { worker, tasks: new Map(), done: 0 };
    worker.unref();
    worker.onMessage(
      (msg: {
        id: number;
        output?: Uint8Array;
        input?: Uint8Array;
        error?: { message: string; code?: string; stage?: string };
      }) => {
        const task = slot.tasks.get(msg.id);
        if (!task) return;
        slot.tasks.delete(msg.id);
        slot.done++;
        if (slot.tasks.size === 0) {
          worker.unref();
          if (slot.stale) this.retire(slot);
        }
        if (msg.error)
          this.finish(task, new CodecError(msg.error.message, task.codec, msg.error.code, msg.error.stage));
        else {
          if (msg.input && task.returnInput) task.returnInput(msg.input);
          this.finish(task, undefined, msg.output!);
        }
        this.dispatch();
      },
    );
    const fail = (err: Error) => {
      // A worker that died (crash, failed module import) is replaced by a fresh one on the next dispatch.
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      const tasks = [...slot.tasks.values()];
      slot.tasks.clear();
      for (const task of tasks) this.finish(task, err);
      if (slot.done === 0) {
        // It could not even start (e.g. a codec module failed to import): retrying would loop forever.
        for (const t of this.queue.splice(0)) this.finish(t, err);
      } else if (!this.closed) {
        this.dispatch();
      }
    };
    worker.onError(fail);
    worker.onExit((code) => {
      if (this.slots.includes(slot)) fail(new Error(`a codec worker exited with code ${code}`));
    });
    this.slots.push(slot);
    return slot;
  }

  /** Stop a worker that lacks a module (its 'exit' is then not a failure: it is no longer a slot). */
  private retire(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    void slot.worker.terminate();
  }

  private finish(task: Task, err: Error | undefined, output?: Uint8Array): void {
    if (task.signal && task.onAbort) task.signal.removeEventListener('abort', task.onAbort);
    if (err) task.reject(err);
    else task.resolve(output!);
  }
}

/** Queued tasks (RunOptions.queued) a worker holds at most: the running one and the next. */
const QUEUED_PER_WORKER = 2;

/** A task that fetches its own input: it waits on the network first, so several may share a worker. */
function isFetch(task: Task): boolean {
  return task.params.fetch !== undefined;
}

function moduleUrl(m: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(m) ? m : new URL(`file://${m}`).href;
}

function copyOf(bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy;
}

let shared: WorkerPool | undefined;

/**
 * The process-wide pool (created on first use with one worker per core unless `options`
 * say otherwise). Backends share it; a reader's own `maxWorkers` limits how many of its tasks are in flight.
 * `options.modules` not loaded yet are added to an existing pool (see `addModules`); its size stays.
 */
export function sharedWorkerPool(options?: WorkerPoolOptions): WorkerPool {
  if (shared && options?.modules) shared.addModules(options.modules);
  shared ??= new WorkerPool(options);
  return shared;
}

/** Replace the process-wide pool (closing the old one), e.g. to size it or to add codec modules. */
export async function setSharedWorkerPool(pool: WorkerPool | undefined): Promise<void> {
  const old = shared;
  shared = pool;
  if (old && old !== pool) await old.close();
}
