/**
 * A small pool of worker_threads running native zstd, so chunk compression and decompression use every
 * core and never block the event loop (the addon's calls are synchronous: on the main thread they would
 * serialize). Workers start lazily, are unref'd while idle (an idle pool never keeps the process alive)
 * and load only the zstd addon. Inputs are copied into a buffer that is then moved (transferred) to the
 * worker; outputs are moved back, never copied.
 *
 * The worker code is an inline script (`eval`), so it runs the same from the sources and from a bundle.
 * When a worker cannot start, the pool is disabled for the process and callers fall back to the main
 * thread. (To be merged into @bfio/core's WorkerPool as a codec module once that is exported.)
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { nativeZstd } from './native-zstd.js';

const EMPTY = new Uint8Array(0);

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const zstd = require(workerData.zstdPath);
const binding = require(workerData.bindingPath);
const dctx = new binding.DCtx();
// Small Buffers live in Node's shared slab, which must not move: give them their own memory.
function own(out) {
  if (out.byteLength < 65536 || out.byteOffset !== 0 || out.buffer.byteLength !== out.byteLength)
    return new Uint8Array(out);
  return new Uint8Array(out.buffer, 0, out.byteLength);
}
function decodeInto(src, size, dest) {
  if (binding.getFrameContentSize(src) === size) {
    const dst = dest && dest.byteLength === size ? new Uint8Array(dest) : new Uint8Array(size);
    const n = dctx.decompress(dst, src);
    if (n !== size) throw new Error('the chunk decodes to ' + n + ' bytes, expected ' + size);
    return dst;
  }
  const out = zstd.decompress(src);
  if (out.byteLength !== size) throw new Error('the chunk decodes to ' + out.byteLength + ' bytes, expected ' + size);
  return own(out);
}
parentPort.on('message', (task) => {
  try {
    let out;
    if (task.op === 'compress') {
      out = own(zstd.compress(task.input, { compressionLevel: task.level, checksumFlag: task.checksum }));
    } else if (task.op === 'decompress') {
      out = own(zstd.decompress(task.input));
    } else {
      // 'read': a chunk file, decoded here so the main thread only places pixels.
      let src;
      try {
        src = readFileSync(task.path);
      } catch (err) {
        if (err && (err.code === 'ENOENT' || err.code === 'ENOTDIR')) {
          parentPort.postMessage({ id: task.id, missing: true });
          return;
        }
        throw err;
      }
      if (task.codec === 'zstd') out = decodeInto(src, task.size, task.dest);
      else if (src.byteLength !== task.size) throw new Error('the chunk has ' + src.byteLength + ' bytes, expected ' + task.size);
      else out = own(src);
    }
    parentPort.postMessage({ id: task.id, output: out }, [out.buffer]);
  } catch (err) {
    parentPort.postMessage({ id: task.id, error: String((err && err.message) || err) });
  }
});
`;

/** A chunk file that does not exist (the array's fill value stands for it). */
export const MISSING = Symbol('missing chunk');

interface Task {
  id: number;
  op: 'compress' | 'decompress' | 'read';
  input: Uint8Array;
  /** 'read': the chunk file, its codec and its decoded size in bytes. */
  path?: string;
  codec?: 'zstd' | 'raw';
  size?: number;
  /** 'read': memory to decode into (moved to the worker), when the caller has some to spare. */
  dest?: ArrayBuffer;
  level: number;
  checksum: boolean;
  /** The input's buffer may be moved to the worker (else a copy is). */
  owned: boolean;
  resolve: (out: Uint8Array | typeof MISSING) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  task?: Task;
}

/** Number of workers: BFIO_ZARR_WORKERS when set (0 disables the pool), else the machine's parallelism. */
function defaultSize(): number {
  const env = process.env.BFIO_ZARR_WORKERS;
  if (env !== undefined && env !== '' && Number.isFinite(Number(env)))
    return Math.max(0, Math.floor(Number(env)));
  return availableParallelism();
}

export class ZstdPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private broken = false;

  constructor(
    readonly size: number,
    private readonly zstdPath: string,
    private readonly bindingPath: string,
  ) {}

  /** False once a worker failed to start: callers then run zstd on the main thread. */
  get usable(): boolean {
    return !this.broken && this.size > 0;
  }

  /** Tasks queued or running. */
  get pending(): number {
    return this.queue.length + this.slots.filter((s) => s.task).length;
  }

  /**
   * Compresses `input`. With `transfer`, an input spanning its whole ArrayBuffer is moved to the worker
   * instead of copied (it is unusable afterwards).
   */
  compress(input: Uint8Array, level: number, checksum: boolean, transfer = false): Promise<Uint8Array> {
    return this.run('compress', input, level, checksum, transfer) as Promise<Uint8Array>;
  }

  decompress(input: Uint8Array, transfer = false): Promise<Uint8Array> {
    return this.run('decompress', input, 0, false, transfer) as Promise<Uint8Array>;
  }

  /**
   * Reads a chunk file and decodes it on a worker: `size` decoded bytes, or MISSING when there is no file.
   * `dest` (moved to the worker, unusable afterwards) is reused for the result when it has `size` bytes.
   */
  readChunk(
    path: string,
    codec: 'zstd' | 'raw',
    size: number,
    dest?: ArrayBuffer,
  ): Promise<Uint8Array | typeof MISSING> {
    return new Promise((resolve, reject) => {
      this.queue.push({
        id: this.nextId++,
        op: 'read',
        input: EMPTY,
        path,
        codec,
        size,
        dest,
        level: 0,
        checksum: false,
        resolve,
        reject,
        owned: false,
      });
      this.dispatch();
    });
  }

  private run(
    op: Task['op'],
    input: Uint8Array,
    level: number,
    checksum: boolean,
    transfer: boolean,
  ): Promise<Uint8Array | typeof MISSING> {
    const whole =
      transfer &&
      input.byteOffset === 0 &&
      input.byteLength === input.buffer.byteLength &&
      !(input.buffer instanceof SharedArrayBuffer);
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, op, input, level, checksum, resolve, reject, owned: whole });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.task);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const task = this.queue.shift() as Task;
      slot.task = task;
      slot.worker.ref(); // a running task keeps the process alive
      if (task.op === 'read') {
        const { id, op, path, codec, size, dest } = task;
        slot.worker.postMessage({ id, op, path, codec, size, dest }, dest ? [dest] : []);
        continue;
      }
      // The caller keeps its bytes unless it gave them up: move a copy (one memcpy), never clone twice.
      const input = task.owned ? task.input : task.input.slice();
      slot.worker.postMessage(
        { id: task.id, op: task.op, input, level: task.level, checksum: task.checksum },
        [input.buffer as ArrayBuffer],
      );
    }
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { zstdPath: this.zstdPath, bindingPath: this.bindingPath },
      execArgv: [],
      name: 'bfio-zarr-zstd',
    });
    const slot: Slot = { worker };
    worker.unref();
    worker.on('message', (msg: { id: number; output?: Uint8Array; missing?: boolean; error?: string }) => {
      const task = slot.task;
      if (!task || task.id !== msg.id) return;
      slot.task = undefined;
      worker.unref();
      if (msg.error !== undefined) task.reject(new Error(`zstd ${task.op}: ${msg.error}`));
      else task.resolve(msg.missing ? MISSING : (msg.output as Uint8Array));
      this.dispatch();
    });
    const fail = (err: Error) => {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      const task = slot.task;
      slot.task = undefined;
      // A dead worker: its task and the queue fail over to the caller's fallback (main thread).
      this.broken = true;
      // A running task whose input was moved cannot be redone elsewhere: it fails for good.
      if (task)
        task.reject(task.owned ? new Error(`zstd ${task.op}: ${err.message}`) : new PoolUnavailable(err));
      for (const t of this.queue.splice(0)) t.reject(new PoolUnavailable(err));
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (this.slots.includes(slot)) fail(new Error(`a zstd worker exited with code ${code}`));
    });
    this.slots.push(slot);
    return slot;
  }
}

/** The pool could not run the task (no worker): the caller should do it on the main thread. */
export class PoolUnavailable extends Error {
  constructor(readonly reason: Error) {
    super(`zstd worker unavailable: ${reason.message}`);
    this.name = 'PoolUnavailable';
  }
}

let shared: ZstdPool | null | undefined;

/** The process-wide zstd pool, or undefined when disabled (BFIO_ZARR_WORKERS=0) or the addon is absent. */
export function zstdPool(): ZstdPool | undefined {
  if (shared === undefined) {
    const size = defaultSize();
    let paths: [string, string] | undefined;
    try {
      const require = createRequire(import.meta.url);
      paths = [require.resolve('zstd-napi'), require.resolve('zstd-napi/binding')];
    } catch {
      paths = undefined;
    }
    shared = size > 0 && paths && nativeZstd() ? new ZstdPool(size, ...paths) : null;
  }
  return shared?.usable ? shared : undefined;
}
