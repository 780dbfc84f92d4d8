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
 *   (no, x, y, w, h) → mapped.duplicate().put(reader.openBytes(no, heap.array(), x, y, w, h)).position()
 *
 * The file is created by Node (exclusive, mode 0600) and unlinked as soon as both sides hold it open, so
 * nothing is left behind even if the process dies. Without `/dev/shm` (macOS, Windows) the `byte[]` route is
 * used.
 */
import { accessSync, closeSync, constants, openSync, readSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { JavaBridge, JavaObject } from './jvm.js';

export type TransferMode = 'auto' | 'shm' | 'bytes';

export interface BlockTransfer {
  readonly kind: 'shm' | 'bytes';
  /**
   * Reads block (x, y, w, h) of plane `no` (`length` bytes). Fills `into` when given and returns it, or
   * returns a buffer holding the bytes (valid until the next call on this transfer).
   */
  read(
    no: number,
    x: number,
    y: number,
    w: number,
    h: number,
    length: number,
    into?: Uint8Array,
  ): Promise<Uint8Array>;
  /**
   * The same block of several planes in one bridge call (small planes: the call overhead dominates). Returns
   * the blocks one after another (`nos.length × length` bytes), in `into` when given.
   */
  readMany(
    nos: number[],
    x: number,
    y: number,
    w: number,
    h: number,
    length: number,
    into?: Uint8Array,
  ): Promise<Uint8Array>;
  close(): void;
}

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

  async read(no: number, x: number, y: number, w: number, h: number, _length: number, into?: Uint8Array) {
    const bytes: Int8Array = await this.reader.openBytesPromise(no, x, y, w, h);
    const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (!into || into.byteLength !== view.byteLength) return view;
    into.set(view);
    return into;
  }

  async readMany(
    nos: number[],
    x: number,
    y: number,
    w: number,
    h: number,
    length: number,
    into?: Uint8Array,
  ) {
    const total = nos.length * length;
    const target = into && into.byteLength === total ? into : new Uint8Array(total);
    for (const [i, no] of nos.entries()) {
      const block = target.subarray(i * length, (i + 1) * length);
      const got = await this.read(no, x, y, w, h, length, block);
      if (got !== block) {
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
  handles = {
    java,
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
 * one size (planes, tiles) reuse it; the mapping grows to the largest transfer seen.
 */
class ShmTransfer implements BlockTransfer {
  private mappedCapacity = 0;
  private mapped: JavaObject;
  private blockLength = -1;
  private one: JavaObject; // (no, x, y, w, h) → bytes written
  private many: JavaObject; // (int[] nos, x, y, w, h) → bytes written
  private scratch = new Uint8Array(0);
  private closed = false;
  private fallback: BytesTransfer | undefined;

  private constructor(
    private readonly h: Handles,
    private readonly reader: JavaObject,
    private readonly fd: number,
    private readonly file: JavaObject, // java.io.RandomAccessFile
    private readonly fallbackAllowed: boolean,
  ) {}

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
    const heap = java.callStaticMethodSync('java.nio.ByteBuffer', 'allocate', length);
    // (no, x, y, w, h) → reader.openBytes(no, heap.array(), x, y, w, h)
    const open = call('foldArguments', h.openInto.bindToSync(this.reader), 1, h.array.bindToSync(heap));
    const duplicate = h.duplicate.bindToSync(this.mapped); // () → a ByteBuffer at position 0
    // One block: mapped.duplicate().put(open(no, x, y, w, h)).position()
    const put = call('foldArguments', h.put, duplicate); // (byte[]) → ByteBuffer
    this.one = call('filterReturnValue', call('collectArguments', put, 0, open), h.position);
    // Many: buf = mapped.duplicate(); for (i < nos.length) buf = buf.put(open(nos[i], x, y, w, h)); buf.position()
    // permuteArguments takes `int...`, which node-java cannot pass (its varargs handling casts to Object[]),
    // so it is called through reflection with a real int[].
    const openAt = h.permute.invokeSync(
      null,
      java.newArray('java.lang.Object', [
        call('collectArguments', open, 0, h.element), // (int[] nos, int i, x, y, w, h) → byte[]
        java.callStaticMethodSync(
          'java.lang.invoke.MethodType',
          'methodType',
          h.bytes,
          classes([h.int, h.intArray, h.int, h.int, h.int, h.int]),
        ),
        java.newArray('int', [1, 0, 2, 3, 4, 5]),
      ]),
    ); // (int i, int[] nos, x, y, w, h) → byte[]
    const body = call('collectArguments', h.put, 1, openAt); // (ByteBuffer, i, nos, x, y, w, h) → ByteBuffer
    const loop = call(
      'countedLoop',
      call('dropArguments', h.count, 1, h.int, h.int, h.int, h.int),
      call('dropArguments', duplicate, 0, h.intArray, h.int, h.int, h.int, h.int),
      body,
    );
    this.many = call('filterReturnValue', loop, h.position);
    this.blockLength = length;
  }

  /** Makes the handles ready for `count` blocks of `length` bytes; false once fallen back to byte[]. */
  private ready(length: number, count: number): boolean {
    if (this.fallback) return false;
    try {
      this.ensureMapped(length * count);
      if (length !== this.blockLength) this.prepare(length);
      return true;
    } catch (err) {
      // Setting up failed (no room in /dev/shm, a JVM without these APIs): use byte[] from now on.
      if (!this.fallbackAllowed) throw err;
      this.fallback = new BytesTransfer(this.reader);
      return false;
    }
  }

  /** Copies the first `length` bytes of the file into `into` (or the scratch buffer). */
  private collect(length: number, into?: Uint8Array): Uint8Array {
    let target = into;
    if (!target || target.byteLength !== length) {
      if (this.scratch.byteLength < length) this.scratch = new Uint8Array(length);
      target = this.scratch.subarray(0, length);
    }
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, target, done, length - done, done);
      if (n <= 0) throw new Error(`shared-memory transfer file ended after ${done} of ${length} bytes`);
      done += n;
    }
    return target;
  }

  async read(no: number, x: number, y: number, w: number, h: number, length: number, into?: Uint8Array) {
    if (!this.ready(length, 1)) return this.fallback!.read(no, x, y, w, h, length, into);
    const written: number = await this.one.invokeWithArgumentsPromise(no, x, y, w, h);
    if (written !== length) throw new Error(`shared-memory transfer moved ${written} of ${length} bytes`);
    return this.collect(length, into);
  }

  async readMany(
    nos: number[],
    x: number,
    y: number,
    w: number,
    h: number,
    length: number,
    into?: Uint8Array,
  ) {
    const total = nos.length * length;
    if (!this.ready(length, nos.length)) return this.fallback!.readMany(nos, x, y, w, h, length, into);
    const list = this.h.java.newArray('int', nos);
    const written: number = await this.many.invokeWithArgumentsPromise(list, x, y, w, h);
    if (written !== total) throw new Error(`shared-memory transfer moved ${written} of ${total} bytes`);
    return this.collect(total, into);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
    try {
      this.file.closeSync();
    } catch {
      // Best effort: the file is already unlinked; its memory goes with the mapping.
    }
  }
}

/** A transfer for `reader`: shared memory when asked or available, else (or if that fails) `byte[]`. */
export function createTransfer(java: JavaBridge, reader: JavaObject, mode: TransferMode): BlockTransfer {
  if (mode === 'bytes' || (mode === 'auto' && !shmAvailable())) return new BytesTransfer(reader);
  try {
    return ShmTransfer.create(java, reader, mode === 'auto');
  } catch (err) {
    if (mode === 'shm') throw err;
    return new BytesTransfer(reader);
  }
}
