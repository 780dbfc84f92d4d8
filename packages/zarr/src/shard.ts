/**
 * Writing Zarr v3 shards (`sharding_indexed`, index at the end) as their chunks arrive, so a sharded store is
 * written in the same bounded memory as an unsharded one: no shard is ever held whole. Each shard is one file,
 * opened at its first chunk; an encoded chunk is appended where the file ends (positions are handed out in
 * the order encodings finish, so the chunks of a shard may be in any order); its offset and length go into
 * the shard's index. When every chunk of the shard that lies inside the array has been written (or at
 * close, for a shard some chunks of which never came: those stay "empty", i.e. the fill value), the index is
 * appended: per chunk in C order, offset and length as little-endian uint64 (2^64−1 twice for an empty one),
 * then the CRC32C of those bytes (little-endian uint32).
 *
 * A shard's chunks should lie in the file in index order (the same image then always gives the same bytes).
 * Encodings finish out of order only by the workers' concurrency, so a chunk that comes early waits in a
 * small reorder window (`REORDER_BYTES` over all shards) until its predecessors are written; only when the
 * window is full, or the caller never writes some chunk, is a chunk appended out of order, and the shard
 * rewritten in index order when it is finished (a second pass over its bytes, which the window avoids).
 *
 * A write that covers a whole shard skips all of this: the writer hands the block to one codec worker, which
 * builds and writes the shard in the same format (`writeWhole`; @bfio/codecs' shard-task.mjs).
 */
import { crc32c } from '@bfio/codecs';
import { dirname, type FileHandle, mkdir, open } from '#platform';

type Vec5 = [number, number, number, number, number];

const EMPTY = 0xffffffffffffffffn;

/** Encoded chunks held back, over all shards of a writer, to append them in index order. */
const REORDER_BYTES = 64 * 2 ** 20;

/** The index bytes of a shard: `entries` (offset, length pairs) little-endian, then their CRC32C. */
export function encodeIndex(entries: BigUint64Array): Uint8Array {
  const out = new Uint8Array(entries.length * 8 + 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < entries.length; i++) view.setBigUint64(i * 8, entries[i] as bigint, true);
  view.setUint32(entries.length * 8, crc32c(out.subarray(0, entries.length * 8)), true);
  return out;
}

interface OpenShard {
  path: string;
  file: Promise<FileHandle>;
  /** Where the next chunk goes. */
  end: number;
  entries: BigUint64Array;
  written: number;
  expected: number;
  /** The next slot to append in index order (the slots outside the array skipped). */
  next: number;
  /** Chunks that came before `next`'s, by slot. */
  early: Map<number, Uint8Array>;
  /** A chunk was appended out of index order: the shard is rewritten when finished. */
  disordered: boolean;
}

/** Whether the chunks of a shard lie in the file in index order (offsets increasing with the slot). */
function inSlotOrder(entries: BigUint64Array): boolean {
  let last = -1n;
  for (let i = 0; i < entries.length; i += 2) {
    const offset = entries[i] as bigint;
    if (offset === EMPTY) continue;
    if (offset < last) return false;
    last = offset;
  }
  return true;
}

/** The shards of one array level being written. */
export class ShardWriter {
  private readonly open = new Map<string, OpenShard>();
  /** Chunks per shard along each axis. */
  private readonly per: Vec5;

  constructor(
    /** Array shape, chunk shape and shard shape (a multiple of the chunk shape), t,c,z,y,x. */
    private readonly shape: Vec5,
    private readonly chunks: Vec5,
    private readonly shards: Vec5,
    /** The file of a shard, from its grid index. */
    private readonly pathOf: (index: number[]) => string,
    /** Called with the file of each finished shard (e.g. to upload it). */
    private readonly onFinished?: (path: string) => Promise<void>,
    /** The reorder window's size in bytes (see the header). */
    private readonly reorderBytes = REORDER_BYTES,
  ) {
    this.per = shards.map((s, i) => s / (chunks[i] as number)) as Vec5;
  }

  /** The grid index of the shard holding the element at `origin`. */
  indexOf(origin: readonly number[]): number[] {
    return origin.map((o, i) => Math.floor(o / (this.shards[i] as number)));
  }

  /** The first element of the shard at grid `index`, and its extent inside the array. */
  boundsOf(index: readonly number[]): { origin: Vec5; extent: Vec5 } {
    const origin = index.map((n, i) => n * (this.shards[i] as number)) as Vec5;
    const extent = origin.map((o, i) =>
      Math.min(this.shards[i] as number, (this.shape[i] as number) - o),
    ) as Vec5;
    return { origin, extent };
  }

  /** Chunks per shard along each axis. */
  get chunksPerShard(): Vec5 {
    return [...this.per];
  }

  /** Whether chunks of the shard at grid `index` went through `write` and the shard is not finished. */
  isOpen(index: readonly number[]): boolean {
    return this.open.has(index.join(','));
  }

  /**
   * A whole shard built and written elsewhere (a codec worker, by `writeFile(path)`), not chunk by chunk:
   * its folder is made first, and the finished file is handed on (`onFinished`) like the shards built here.
   */
  async writeWhole(index: readonly number[], writeFile: (path: string) => Promise<void>): Promise<void> {
    const path = this.pathOf([...index]);
    const dir = dirname(path);
    let made = this.dirs.get(dir);
    if (!made) {
      made = mkdir(dir, { recursive: true });
      this.dirs.set(dir, made);
    }
    await made;
    await writeFile(path);
    await this.onFinished?.(path);
  }

  /** Folders of whole shards made so far (mkdir once each). */
  private readonly dirs = new Map<string, Promise<unknown>>();

  /** Appends the encoded chunk whose first element is at `origin` to its shard (finishing the shard when full). */
  async write(origin: Vec5, encoded: Uint8Array): Promise<void> {
    const index = this.indexOf(origin);
    const key = index.join(',');
    let shard = this.open.get(key);
    if (!shard) {
      const path = this.pathOf(index);
      const expected = index.reduce((acc, n, i) => {
        const start = n * (this.shards[i] as number);
        const extent = Math.min(this.shards[i] as number, (this.shape[i] as number) - start);
        return acc * Math.ceil(extent / (this.chunks[i] as number));
      }, 1);
      shard = {
        path,
        file: mkdir(dirname(path), { recursive: true }).then(() => open(path, 'w+')),
        end: 0,
        entries: new BigUint64Array(2 * this.per.reduce((a, b) => a * b, 1)).fill(EMPTY),
        written: 0,
        expected,
        next: 0,
        early: new Map(),
        disordered: false,
      };
      shard.next = this.insideFrom(index, 0);
      this.open.set(key, shard);
    }
    // The chunk's place in the shard's index: C order over the chunks of the shard.
    let slot = 0;
    for (let i = 0; i < 5; i++) {
      const within = ((origin[i] as number) % (this.shards[i] as number)) / (this.chunks[i] as number);
      slot = slot * (this.per[i] as number) + within;
    }
    if (shard.entries[2 * slot] !== EMPTY || shard.early.has(slot))
      throw new Error(`chunk at ${origin} written twice into its shard`);
    if (
      slot !== shard.next &&
      !shard.disordered &&
      this.earlyBytes + encoded.byteLength <= this.reorderBytes
    ) {
      shard.early.set(slot, encoded);
      this.earlyBytes += encoded.byteLength;
      return;
    }
    if (slot !== shard.next && !shard.disordered) {
      // The window is full: this shard goes out of order (rewritten at the end), its early chunks now.
      shard.disordered = true;
      const early = [...shard.early];
      this.release(shard);
      await Promise.all([
        this.append(key, shard, slot, encoded),
        ...early.map(([s, e]) => this.append(key, shard, s, e)),
      ]);
      return;
    }
    // In order: this chunk, then every early one it was holding back.
    const runs: Array<Promise<void>> = [this.append(key, shard, slot, encoded)];
    if (!shard.disordered) {
      shard.next = this.insideFrom(index, slot + 1);
      for (let e = shard.early.get(shard.next); e; e = shard.early.get(shard.next)) {
        shard.early.delete(shard.next);
        this.earlyBytes -= e.byteLength;
        runs.push(this.append(key, shard, shard.next, e));
        shard.next = this.insideFrom(index, shard.next + 1);
      }
    }
    await Promise.all(runs);
  }

  /** Encoded bytes held back in every shard's window. */
  private earlyBytes = 0;

  /** Forgets a shard's early chunks (appended or dropped by the caller). */
  private release(shard: OpenShard): void {
    for (const e of shard.early.values()) this.earlyBytes -= e.byteLength;
    shard.early.clear();
  }

  /** The first slot ≥ `slot` of the shard at grid `index` whose chunk lies inside the array (or the end). */
  private insideFrom(index: number[], slot: number): number {
    const total = this.per.reduce((a, b) => a * b, 1);
    for (let s = slot; s < total; s++) {
      let rest = s;
      let inside = true;
      for (let i = 4; i >= 0; i--) {
        const per = this.per[i] as number;
        const start =
          (index[i] as number) * (this.shards[i] as number) + (rest % per) * (this.chunks[i] as number);
        rest = Math.floor(rest / per);
        if (start >= (this.shape[i] as number)) inside = false;
      }
      if (inside) return s;
    }
    return total;
  }

  /** Appends one chunk at the end of its shard's file, finishing the shard with its last chunk. */
  private async append(key: string, shard: OpenShard, slot: number, encoded: Uint8Array): Promise<void> {
    const offset = shard.end;
    shard.end += encoded.byteLength;
    shard.entries[2 * slot] = BigInt(offset);
    shard.entries[2 * slot + 1] = BigInt(encoded.byteLength);
    const handle = await shard.file;
    await handle.write(encoded, 0, encoded.byteLength, offset);
    shard.written++;
    if (shard.written === shard.expected) await this.finish(key, shard);
  }

  /** Writes the index of every shard still open (chunks that never came stay empty). */
  async finishAll(): Promise<void> {
    for (const [key, shard] of [...this.open]) {
      // Chunks still waiting for one the caller never wrote: appended now (the shard is reordered at the end).
      const early = [...shard.early];
      this.release(shard);
      for (const [slot, encoded] of early) await this.append(key, shard, slot, encoded);
      if (this.open.has(key)) await this.finish(key, shard);
    }
  }

  /** Closes the files of unfinished shards without indexes (the store is being thrown away). */
  async discard(): Promise<void> {
    const shards = [...this.open.values()];
    for (const shard of shards) this.release(shard);
    this.open.clear();
    await Promise.allSettled(shards.map(async (s) => (await s.file).close()));
  }

  private async finish(key: string, shard: OpenShard): Promise<void> {
    this.open.delete(key);
    const handle = await shard.file;
    try {
      if (!inSlotOrder(shard.entries)) await this.rewriteInSlotOrder(shard, handle);
      else {
        const index = encodeIndex(shard.entries);
        await handle.write(index, 0, index.byteLength, shard.end);
      }
    } finally {
      await handle.close();
    }
    await this.onFinished?.(shard.path);
  }

  /**
   * Chunks land in a shard in the order their encodings finish, which varies from run to run. A finished
   * shard is rewritten with its chunks in index order, so the same image always gives the same bytes:
   * a re-run part writes identical objects, and a store converted in parts equals one converted at once.
   */
  private async rewriteInSlotOrder(shard: OpenShard, handle: FileHandle): Promise<void> {
    const ordered = new BigUint64Array(shard.entries.length).fill(EMPTY);
    const body = new Uint8Array(shard.end);
    let end = 0;
    for (let slot = 0; slot < shard.entries.length / 2; slot++) {
      const offset = shard.entries[2 * slot] as bigint;
      if (offset === EMPTY) continue;
      const length = Number(shard.entries[2 * slot + 1]);
      await handle.read(body, end, length, Number(offset));
      ordered[2 * slot] = BigInt(end);
      ordered[2 * slot + 1] = BigInt(length);
      end += length;
    }
    const index = encodeIndex(ordered);
    await handle.write(body, 0, end, 0);
    await handle.write(index, 0, index.byteLength, end);
    await handle.truncate(end + index.byteLength);
  }
}

/** Zarr v3's `crc32c` (from @bfio/codecs), re-exported for the readers and checks of this package. */
export { crc32c };
