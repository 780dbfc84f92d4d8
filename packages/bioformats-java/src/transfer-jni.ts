/**
 * The JNI route (native/jni_transfer.c, built by this package's `install` script where a JDK is present):
 * Bio-Formats' openBytes called through JNI, each decoded block copied once, from the Java byte[] straight into
 * the output. The /dev/shm route copies twice (heap → mapping → output); on formats that decode at memory
 * speed that second copy is most of the gap to plain Java. Asynchronous reads run on a libuv thread, copy
 * included, so nothing but the completion comes back to the main thread (no pipelining needed).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Block, BlockTransfer } from './block-transfer.js';
import type { JavaBridge, JavaObject } from './jvm.js';

/** Reads block (x, y, w, h) of each plane in `nos` into `out`, one after another (`length` bytes each). */
type ReadBlocks<R> = (
  handle: unknown,
  nos: Int32Array,
  x: number,
  y: number,
  w: number,
  h: number,
  length: number,
  out: Uint8Array,
) => R;

interface JniAddon {
  take(key: string): unknown;
  readSync: ReadBlocks<void>;
  read: ReadBlocks<Promise<void>>;
}

/** Where the built addon sits, from src (sources) or from dist (the bundle). */
const CANDIDATES = ['../native/build/Release/bfio_jni.node'];

let addon: JniAddon | null | undefined;

/** The addon when it is built and loads here (`BFIO_BIOFORMATS_JNI=0` turns it off), else undefined. */
export function jniAddon(): JniAddon | undefined {
  if (addon === undefined) {
    addon = null;
    if (process.env.BFIO_BIOFORMATS_JNI !== '0') {
      const require = createRequire(import.meta.url);
      for (const rel of CANDIDATES) {
        const path = fileURLToPath(new URL(rel, import.meta.url));
        if (!existsSync(path)) continue;
        try {
          const loaded = require(path) as Partial<JniAddon>;
          if (typeof loaded.readSync === 'function') {
            addon = loaded as JniAddon;
            break;
          }
        } catch {
          // Built for another Node ABI or JDK: the /dev/shm route serves.
        }
      }
    }
  }
  return addon ?? undefined;
}

let counter = 0;

export class JniTransfer implements BlockTransfer {
  readonly kind = 'jni';
  private scratch = new Uint8Array(0);
  private lists = new Map<string, Int32Array>();

  private constructor(
    private readonly native: JniAddon,
    private readonly handle: unknown,
  ) {}

  /** Hands `reader` to the addon (through System.getProperties() under a one-time key). */
  static create(java: JavaBridge, native: JniAddon, reader: JavaObject): JniTransfer {
    const key = `bfio.jni.${process.pid}.${++counter}`;
    java.callStaticMethodSync('java.lang.System', 'getProperties').putSync(key, reader);
    return new JniTransfer(native, native.take(key));
  }

  private target(length: number, into?: Uint8Array): Uint8Array {
    if (into && into.byteLength === length) return into;
    if (this.scratch.byteLength < length) this.scratch = new Uint8Array(length);
    return this.scratch.subarray(0, length);
  }

  private numbers(nos: number[]): Int32Array {
    const key = nos.join(',');
    let list = this.lists.get(key);
    if (!list) {
      if (this.lists.size >= 64) this.lists.clear();
      list = Int32Array.from(nos);
      this.lists.set(key, list);
    }
    return list;
  }

  read(no: number, block: Block): Promise<Uint8Array> {
    return this.readMany([no], block);
  }

  async readMany(nos: number[], block: Block): Promise<Uint8Array> {
    const { x, y, w, h, length, into, sync } = block;
    const target = this.target(nos.length * length, into);
    const list = this.numbers(nos);
    if (sync) this.native.readSync(this.handle, list, x, y, w, h, length, target);
    else await this.native.read(this.handle, list, x, y, w, h, length, target);
    return target;
  }

  close(): void {
    // The handle's global references go with it (the addon's finalizer); the Java reader is closed by the pool.
    this.lists.clear();
  }
}
