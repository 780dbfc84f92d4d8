/**
 * Java → Node pixel transfer, one per Java reader.
 *
 * node-java turns a returned `byte[]` into an `Int8Array` on the main thread (JNI copy plus a fresh
 * ArrayBuffer): ~110–150 MB/s, half of what Bio-Formats itself reads. The shared-memory route skips it: Java
 * decodes the block into a reused heap `byte[]` and copies it into a `MappedByteBuffer` over a file in
 * `/dev/shm`; Node reads that file (one memcpy from the page cache) straight into the output array. Both Java
 * steps run inside one bridge call, built from JDK `MethodHandle` combinators (no helper class to compile, so a
 * plain JRE suffices):
 *
 *   (off, no, x, y, w, h) → mapped.duplicate().position(off).put(reader.openBytes(no, heap.array(), x, y, w, h))
 *                             .position()
 *
 * Several whole planes go in one call (a `countedLoop` over an `int[]` of plane numbers), and a long list
 * (≥ 8 MiB) is pipelined: it is cut into a few sub-batches written alternately to two halves of the mapping, and the next
 * sub-batch is already queued while Node collects the previous one. Both calls are then in flight on two libuv
 * threads, so the handle takes a `ReentrantLock` around the reader (lock ∘ tryFinally(…, unlock)): Java decodes
 * back to back while Node's copy, byte swap and bridge round trip overlap it instead of adding to it.
 *
 * The file is created by Node (exclusive, mode 0600) and unlinked as soon as both sides hold it open, so
 * nothing is left behind even if the process dies. Without `/dev/shm` (macOS, Windows) the `byte[]` route is
 * used.
 */
import { accessSync, closeSync, constants, openSync, readSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Block, BlockTransfer } from './block-transfer.js';
import type { JavaBridge, JavaObject } from './jvm.js';
import { JniTransfer, jniAddon } from './transfer-jni.js';

export type TransferMode = 'auto' | 'jni' | 'shm' | 'bytes';

const SHM_DIR = '/dev/shm';
let shmUsable: boolean | undefined;

/** True where a tmpfs `/dev/shm` is writable by this process. */
export function shmAvailable(): boolean {
  if (shmUsable === undefined) {
    try {
      accessSync(SHM_DIR, constants.W_OK | constants.R_OK);
      shmUsable = process.platform === 'linux';
    } catch {
      shmUsable = false;
    }
  }
  return shmUsable;
}

/** The `byte[]` route: node-java's own conversion. */
class BytesTransfer implements BlockTransfer {
  readonly kind = 'bytes';
  constructor(private readonly reader: JavaObject) {}

  async read(no: number, { x, y, w, h, into, sync }: Block) {
    const bytes: Int8Array = sync
      ? this.reader.openBytesSync(no, x, y, w, h)
      : await this.reader.openBytesPromise(no, x, y, w, h);
    const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (!into || into.byteLength !== view.byteLength) return view;
    into.set(view);
    return into;
  }

  async readMany(nos: number[], block: Block) {
    const { length, into } = block;
    const total = nos.length * length;
    const target = into && into.byteLength === total ? into : new Uint8Array(total);
    for (const [i, no] of nos.entries()) {
      const part = target.subarray(i * length, (i + 1) * length);
      const got = await this.read(no, { ...block, into: part });
      if (got !== part) {
        throw new Error(`Bio-Formats returned ${got.byteLength} bytes for a ${length}-byte block`);
      }
    }
    return target;
  }

  close(): void {}
}

/** JDK method handles and classes shared by every shared-memory transfer of the JVM. */
interface Handles {
  java: JavaBridge;
  lock: JavaObject; // (ReentrantLock) → void
  unlock: JavaObject; // (ReentrantLock) → void
  positionAt: JavaObject; // (ByteBuffer, int) → ByteBuffer
  throwable: JavaObject; // Throwable.class
  lockClass: string;
  openInto: JavaObject; // (IFormatReader, int no, byte[] buf, int x, int y, int w, int h) → byte[]
  array: JavaObject; // (ByteBuffer) → byte[]
  put: JavaObject; // (ByteBuffer, byte[]) → ByteBuffer
  duplicate: JavaObject; // (ByteBuffer) → ByteBuffer
  position: JavaObject; // (ByteBuffer) → int
  element: JavaObject; // (int[], int) → int
  count: JavaObject; // (int[]) → int
  intArray: JavaObject; // int[].class
  int: JavaObject; // int.class
  bytes: JavaObject; // byte[].class
  permute: JavaObject; // java.lang.reflect.Method MethodHandles.permuteArguments
  readWrite: JavaObject; // FileChannel.MapMode.READ_WRITE
}

/**
 * Lists of at least `minBytes` are pipelined, in at least `parts` sub-batches of ~`subBatchBytes`. Smaller lists
 * go in one call: measured on CZI (2.4 MB) and DV (1.1 MB) series, splitting them gained nothing or lost 13 %
 * (each extra call and lock hand-over costs as much as the copy it hides). Mutable for tests only.
 */
export const PIPELINE = { minBytes: 8 * 1024 * 1024, parts: 3, subBatchBytes: 4 * 1024 * 1024 };

let handles: Handles | undefined;
let counter = 0;
const MH = 'java.lang.invoke.MethodHandles';

function jdkHandles(java: JavaBridge): Handles {
  if (handles) return handles;
  const cls = (name: string) => java.callStaticMethodSync('java.lang.Class', 'forName', name);
  const int = java.getStaticFieldValue('java.lang.Integer', 'TYPE');
  const bytes = cls('[B');
  const intArray = cls('[I');
  const buffer = cls('java.nio.ByteBuffer');
  const lookup = java.callStaticMethodSync(MH, 'publicLookup');
  const mt = (ret: JavaObject, ...params: JavaObject[]) =>
    java.callStaticMethodSync('java.lang.invoke.MethodType', 'methodType', ret, ...params);
  const lockClass = 'java.util.concurrent.locks.ReentrantLock';
  const voidType = java.getStaticFieldValue('java.lang.Void', 'TYPE');
  handles = {
    java,
    lock: lookup.findVirtualSync(cls(lockClass), 'lock', mt(voidType)),
    unlock: lookup.findVirtualSync(cls(lockClass), 'unlock', mt(voidType)),
    positionAt: lookup.findVirtualSync(buffer, 'position', mt(buffer, int)), // Java 9+: covariant ByteBuffer
    throwable: cls('java.lang.Throwable'),
    lockClass,
    openInto: lookup.findVirtualSync(
      cls('loci.formats.IFormatReader'),
      'openBytes',
      mt(bytes, int, bytes, int, int, int, int),
    ),
    array: lookup.findVirtualSync(buffer, 'array', mt(bytes)),
    put: lookup.findVirtualSync(buffer, 'put', mt(buffer, bytes)),
    duplicate: lookup.findVirtualSync(buffer, 'duplicate', mt(buffer)),
    position: lookup.findVirtualSync(buffer, 'position', mt(int)),
    element: java.callStaticMethodSync(MH, 'arrayElementGetter', intArray),
    count: java.callStaticMethodSync(MH, 'arrayLength', intArray),
    intArray,
    int,
    bytes,
    permute: cls(MH).getMethodSync(
      'permuteArguments',
      java.newArray('java.lang.Class', [
        cls('java.lang.invoke.MethodHandle'),
        cls('java.lang.invoke.MethodType'),
        intArray,
      ]),
    ),
    readWrite: java.getStaticFieldValue('java.nio.channels.FileChannel$MapMode', 'READ_WRITE'),
  };
  return handles;
}

/**
 * The `/dev/shm` route (see the module comment). The heap buffer always has the exact block size (Bio-Formats
 * allocates exact buffers itself, and a reader may size its work by `buf.length`), so consecutive blocks of
 * one size (planes, tiles) reuse it; the mapping grows to the largest transfer seen (two sub-batches when
 * pipelined).
 */
class ShmTransfer implements BlockTransfer {
  private mappedCapacity = 0;
  private mapped: JavaObject;
  private blockLength = -1;
  private one: JavaObject; // (off, no, x, y, w, h) → end offset
  private many: JavaObject; // (off, int[] nos, x, y, w, h) → end offset; holds the reader's lock
  private readonly lock: JavaObject; // java.util.concurrent.locks.ReentrantLock, one per transfer
  /** Java int[]s of recent plane lists: building one costs a JNI call per element (~1 µs each). */
  private readonly lists = new Map<string, JavaObject>();
  private scratch = new Uint8Array(0);
  private closed = false;
  private fallback: BytesTransfer | undefined;

  private constructor(
    private readonly h: Handles,
    private readonly reader: JavaObject,
    private readonly fd: number,
    private readonly file: JavaObject, // java.io.RandomAccessFile
    private readonly fallbackAllowed: boolean,
  ) {
    this.lock = h.java.newInstanceSync(h.lockClass);
  }

  get kind(): 'shm' | 'bytes' {
    return this.fallback ? 'bytes' : 'shm';
  }

  static create(java: JavaBridge, reader: JavaObject, fallbackAllowed: boolean): ShmTransfer {
    const h = jdkHandles(java);
    const path = join(SHM_DIR, `bfio-bioformats-${process.pid}-${++counter}-${Date.now().toString(36)}`);
    const fd = openSync(path, 'wx+', 0o600);
    let file: JavaObject;
    try {
      file = java.newInstanceSync('java.io.RandomAccessFile', path, 'rw');
    } catch (err) {
      closeSync(fd);
      unlinkSync(path);
      throw err;
    }
    // Both sides hold it open now: the name is no longer needed (and never outlives the process).
    unlinkSync(path);
    return new ShmTransfer(h, reader, fd, file, fallbackAllowed);
  }

  /** Maps at least `bytes` of the file (growing it; an old mapping is freed with its last reference). */
  private ensureMapped(bytes: number): void {
    if (bytes <= this.mappedCapacity) return;
    const { java } = this.h;
    const capacity = Math.max(bytes, Math.min(2 * this.mappedCapacity, 2 ** 31 - 1), 1 << 20);
    this.file.setLengthSync(java.newLong(capacity));
    this.mapped = this.file
      .getChannelSync()
      .mapSync(this.h.readWrite, java.newLong(0), java.newLong(capacity));
    this.mappedCapacity = capacity;
    this.blockLength = -1; // the handles are bound to the old mapping
  }

  /** Builds the handle chains for blocks of exactly `length` bytes. */
  private prepare(length: number): void {
    const { java } = this.h;
    const h = this.h;
    const call = (name: string, ...args: unknown[]) => java.callStaticMethodSync(MH, name, ...args);
    const classes = (values: JavaObject[]) => java.newArray('java.lang.Class', values);
    // permuteArguments takes `int...`, which node-java cannot pass (its varargs handling casts to Object[]),
    // so it is called through reflection with a real int[].
    const permute = (target: JavaObject, ret: JavaObject, params: JavaObject[], order: number[]) =>
      h.permute.invokeSync(
        null,
        java.newArray('java.lang.Object', [
          target,
          java.callStaticMethodSync('java.lang.invoke.MethodType', 'methodType', ret, classes(params)),
          java.newArray('int', order),
        ]),
      );
    const ints = (n: number) => Array.from({ length: n }, () => h.int);
    const heap = java.callStaticMethodSync('java.nio.ByteBuffer', 'allocate', length);
    // (no, x, y, w, h) → reader.openBytes(no, heap.array(), x, y, w, h)
    const open = call('foldArguments', h.openInto.bindToSync(this.reader), 1, h.array.bindToSync(heap));
    // (off) → mapped.duplicate().position(off)
    const at = call('collectArguments', h.positionAt, 0, h.duplicate.bindToSync(this.mapped));
    // One block: at(off).put(open(no, x, y, w, h)).position()
    const put = call('collectArguments', h.put, 0, at); // (off, byte[]) → ByteBuffer
    this.one = call('filterReturnValue', call('collectArguments', put, 1, open), h.position);
    // Many: buf = at(off); for (i < nos.length) buf = buf.put(open(nos[i], x, y, w, h)); buf.position()
    const openAt = permute(
      call('collectArguments', open, 0, h.element), // (int[] nos, int i, x, y, w, h) → byte[]
      h.bytes,
      [h.int, h.int, h.intArray, ...ints(4)],
      [2, 0, 3, 4, 5, 6],
    ); // (int i, int off, int[] nos, x, y, w, h) → byte[]  (off unused)
    const body = call('collectArguments', h.put, 1, openAt); // (ByteBuffer, i, off, nos, x, y, w, h) → ByteBuffer
    const loop = call(
      'countedLoop',
      call('dropArguments', call('dropArguments', h.count, 1, ...ints(4)), 0, h.int), // (off, nos, …) → nos.length
      call('dropArguments', at, 1, h.intArray, ...ints(4)), // (off, nos, …) → at(off)
      body,
    );
    const unguarded = call('filterReturnValue', loop, h.position); // (off, nos, x, y, w, h) → end offset
    // lock.lock(); try { unguarded(…) } finally { lock.unlock() }: pipelined calls run one after the other.
    const release = call(
      'foldArguments',
      call('dropArguments', call('identity', h.int), 0, h.throwable), // (Throwable, int r) → r
      h.unlock.bindToSync(this.lock),
    );
    this.many = call('foldArguments', call('tryFinally', unguarded, release), h.lock.bindToSync(this.lock));
    this.blockLength = length;
  }

  /** Makes the handles ready for blocks of `length` bytes in a mapping of `bytes`; false once on byte[]. */
  private ready(length: number, bytes: number): boolean {
    if (this.fallback) return false;
    try {
      this.ensureMapped(bytes);
      if (length !== this.blockLength) this.prepare(length);
      return true;
    } catch (err) {
      // Setting up failed (no room in /dev/shm, a JVM without these APIs): use byte[] from now on.
      if (!this.fallbackAllowed) throw err;
      this.fallback = new BytesTransfer(this.reader);
      return false;
    }
  }

  /** `length` bytes of the file from `offset` into `target`. */
  private collect(offset: number, length: number, target: Uint8Array, at = 0): void {
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, target, at + done, length - done, offset + done);
      if (n <= 0) throw new Error(`shared-memory transfer file ended after ${done} of ${length} bytes`);
      done += n;
    }
  }

  private target(length: number, into?: Uint8Array): Uint8Array {
    if (into && into.byteLength === length) return into;
    if (this.scratch.byteLength < length) this.scratch = new Uint8Array(length);
    return this.scratch.subarray(0, length);
  }

  async read(no: number, block: Block) {
    const { x, y, w, h, length, into } = block;
    if (!this.ready(length, length)) return this.fallback!.read(no, block);
    const written: number = block.sync
      ? this.one.invokeWithArgumentsSync(0, no, x, y, w, h)
      : await this.one.invokeWithArgumentsPromise(0, no, x, y, w, h);
    if (written !== length) throw new Error(`shared-memory transfer moved ${written} of ${length} bytes`);
    const target = this.target(length, into);
    this.collect(0, length, target);
    return target;
  }

  private list(nos: number[]): JavaObject {
    const key = nos.join(',');
    let list = this.lists.get(key);
    if (!list) {
      if (this.lists.size >= 64) this.lists.clear();
      list = this.h.java.newArray('int', nos);
      this.lists.set(key, list);
    }
    return list;
  }

  async readMany(nos: number[], block: Block) {
    const { x, y, w, h, length, into } = block;
    const total = nos.length * length;
    // Sub-batches (PIPELINE): several, so Java has the next one while Node collects; whole planes; two of them
    // fit the mapping at once.
    const parts =
      total < PIPELINE.minBytes
        ? 1
        : Math.min(nos.length, Math.max(PIPELINE.parts, Math.ceil(total / PIPELINE.subBatchBytes)));
    const per = Math.ceil(nos.length / parts);
    const slot = per * length;
    if (!this.ready(length, parts > 1 ? 2 * slot : slot)) return this.fallback!.readMany(nos, block);
    const target = this.target(total, into);
    if (parts === 1 && block.sync) {
      // No thread hop (see BlockTransfer.read).
      const T = (globalThis as any).__t;
      const a = performance.now();
      const written: number = this.many.invokeWithArgumentsSync(0, this.list(nos), x, y, w, h);
      const b = performance.now();
      if (written !== total) throw new Error(`shared-memory transfer moved ${written} of ${total} bytes`);
      this.collect(0, total, target);
      if (T) {
        T.call += b - a;
        T.collect += performance.now() - b;
      }
      return target;
    }
    const count = Math.ceil(nos.length / per);
    const issue = (k: number): Promise<number> => {
      const call: Promise<number> = this.many.invokeWithArgumentsPromise(
        (k % 2) * slot,
        this.list(nos.slice(k * per, (k + 1) * per)),
        x,
        y,
        w,
        h,
      );
      // Awaited below (or settled in `finally`); until then a failure must not count as unhandled.
      call.catch(() => {});
      return call;
    };
    const inFlight: Array<Promise<number> | undefined> = [issue(0), count > 1 ? issue(1) : undefined];
    try {
      for (let k = 0; k < count; k++) {
        const written = await inFlight[k % 2]!;
        inFlight[k % 2] = undefined;
        const planes = Math.min(per, nos.length - k * per);
        const expected = (k % 2) * slot + planes * length;
        if (written !== expected)
          throw new Error(`shared-memory transfer moved ${written} of ${expected} bytes`);
        this.collect((k % 2) * slot, planes * length, target, k * slot);
        // That half of the mapping is free again: queue the sub-batch after the one Java is decoding now.
        if (k + 2 < count) inFlight[k % 2] = issue(k + 2);
      }
    } finally {
      // On failure, the reader is not handed back while a call still runs on it.
      await Promise.allSettled(inFlight.filter((p) => p !== undefined));
    }
    return target;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.lists.clear();
    closeSync(this.fd);
    try {
      this.file.closeSync();
    } catch {
      // Best effort: the file is already unlinked; its memory goes with the mapping.
    }
  }
}

/**
 * The route `transfer: 'auto'` takes in this process: 'jni' where the addon is built and loads, else 'shm' where
 * /dev/shm is, else 'bytes' (`bfio bioformats status` reports it).
 */
export function autoTransfer(): 'jni' | 'shm' | 'bytes' {
  return jniAddon() ? 'jni' : shmAvailable() ? 'shm' : 'bytes';
}

/**
 * A transfer for `reader`. 'auto': the JNI addon where it is built, else shared memory where /dev/shm is, else
 * (or if that fails) `byte[]`. An explicit mode that cannot be served throws.
 */
export function createTransfer(java: JavaBridge, reader: JavaObject, mode: TransferMode): BlockTransfer {
  if (mode === 'jni' || mode === 'auto') {
    const native = jniAddon();
    if (native) return JniTransfer.create(java, native, reader);
    if (mode === 'jni') {
      throw new Error(
        "the native JNI transfer is not built (it needs a JDK: set JAVA_HOME and run 'pnpm install' again)",
      );
    }
  }
  if (mode === 'bytes' || (mode === 'auto' && !shmAvailable())) return new BytesTransfer(reader);
  try {
    return ShmTransfer.create(java, reader, mode === 'auto');
  } catch (err) {
    if (mode === 'shm') throw err;
    return new BytesTransfer(reader);
  }
}
