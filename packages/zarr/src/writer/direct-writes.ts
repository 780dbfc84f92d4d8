/**
 * Chunks of a new store written without zarrita: the codec chains bfio encodes itself (bytes → zstd, or raw
 * bytes), so chunks go straight from the encoder to their files (or shards), written behind the caller.
 */
import { implementation, runHereSync } from '@bfio/codecs';
import { allocate, type DType, type TypedArray, UnsupportedError } from '@bfio/core';
import { asIoError } from '@bfio/core/backend';
import { dirname, join, mkdir, writeFile } from '#platform';
import { type CodecPool, PoolUnavailable, type ShardTask } from '../codec-pool.js';
import type { ZarrFormat } from '../layout.js';
import type { Publisher } from '../publisher.js';
import type { Vec5 } from '../store-layout.js';
import { contiguous, copyBlock, prod } from './blocks.js';
import type { ChunkBuffer, LevelState } from './levels.js';

/** How the chunks of a new store are encoded when bfio encodes them itself. */
export interface DirectEncoding {
  format: ZarrFormat;
  compression: 'zstd' | 'none';
  level: number;
  /**
   * zstd and the chunk file's write on @bfio/core's shared worker pool (at most `maxWorkers` chunks at
   * once); else this thread.
   */
  pool: CodecPool | undefined;
}

/** Below this many bytes a chunk is compressed on the calling thread (a worker round trip costs more). */
const POOL_MIN_BYTES = 32 * 1024;

export class DirectChunkWriter {
  /** mkdir of chunk directories, once each. */
  private readonly dirs = new Map<string, Promise<unknown>>();

  constructor(
    /** The new store's (temporary) directory. */
    private readonly dir: string,
    private readonly dtype: DType,
    readonly enc: DirectEncoding,
    /** Object-store targets and parts: where each finished file goes. */
    private readonly publisher: Publisher | undefined,
    /** Takes back a buffer a codec worker is done with. */
    private readonly recycle: (buffer: ArrayBuffer) => void,
  ) {}

  /**
   * Encodes a chunk of a new store and writes its file (no temp file: the whole store is a temporary
   * directory until close). `data` is owned by the writer and may be moved to a codec worker.
   */
  async store(L: LevelState, buf: ChunkBuffer, data: TypedArray): Promise<void> {
    const enc = this.enc;
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
            encoded = await enc.pool.compress(bytes, enc.level, false, true, this.recycle);
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

  /**
   * Writes the whole shard at grid `index` from `data`, its part inside the array (shape `extent`), owned by
   * the writer and spanning its whole buffer: one codec worker cuts it into the inner chunks, encodes them and
   * writes the shard file (@bfio/codecs' shard-task.mjs), so this thread only hands the block over; without
   * a worker this thread does the same. `data` is moved to the worker and handed back through `recycle`;
   * with `source`, the block is read where it lies in shared memory instead (`data` only gives the type).
   */
  async storeShard(
    L: LevelState,
    index: number[],
    extent: Vec5,
    data: TypedArray,
    source?: ShardTask['source'],
  ): Promise<void> {
    const shards = L.shards;
    if (!shards) throw new Error(`level ${L.path} is not sharded`);
    const enc = this.enc;
    const bytes = source ? new Uint8Array(0) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    await shards.writeWhole(index, async (path) => {
      const task: ShardTask = {
        path,
        bytes: data.BYTES_PER_ELEMENT,
        extent,
        chunks: L.chunks,
        per: shards.chunksPerShard,
        codec: enc.compression === 'none' ? 'raw' : 'zstd',
        level: enc.level,
        checksum: false,
        source,
      };
      try {
        if (enc.pool) {
          try {
            await enc.pool.writeShard(bytes, task, this.recycle);
            return;
          } catch (err) {
            if (!(err instanceof PoolUnavailable)) throw err;
          }
        }
        if (task.codec === 'zstd' && implementation('zstd-encode') !== 'native')
          throw new UnsupportedError('zstd: the native codec is not available', path);
        runHereSync('zarr-shard-write', bytes, { shard: task });
      } catch (err) {
        // A system error (the folder gone, a full disk) names the shard and what to do.
        throw asIoError(err, path, 'write');
      }
    });
  }
}

/** zstd on this thread (small chunks, or no codec worker). */
function compressZstd(bytes: Uint8Array, level: number): Uint8Array {
  if (implementation('zstd-encode') !== 'native')
    throw new UnsupportedError('zstd: the native codec is not available', '');
  return runHereSync('zstd-encode', bytes, { level });
}
