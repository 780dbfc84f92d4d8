/**
 * zarrita's codec registry pointed at @bfio/codecs: every bytes-to-bytes codec bfio reads and writes (gzip,
 * zlib, zstd, blosc, lz4, crc32c) runs through our codec table — on the shared worker pool for big chunks —
 * instead of zarrita's own (which cannot encode gzip/zlib, drops crc32c checksums unchecked and runs every
 * codec on the calling thread). Only the glue to zarrita's codec interface is here. Registering is
 * idempotent and global to zarrita's registry (process-wide, like numcodecs' in Python).
 */
import { crc32c, runHere } from '@bfio/codecs';
import * as zarr from 'zarrita';
import { CodecPool, PoolUnavailable } from './codec-pool.js';

type Bytes = Uint8Array;
type CodecFactory = Parameters<typeof zarr.registry.set>[1];
type CodecClass = Awaited<ReturnType<CodecFactory>>;

function levelOf(config: unknown, fallback: number): number {
  const level = (config as { level?: unknown } | undefined)?.level;
  return typeof level === 'number' ? level : fallback;
}

/** gzip through @bfio/codecs (node:zlib on libuv's threads; DecompressionStream in a browser). */
class GzipCodec {
  readonly kind = 'bytes_to_bytes' as const;
  constructor(private readonly level: number) {}
  static fromConfig(config: unknown): GzipCodec {
    return new GzipCodec(levelOf(config, 1));
  }
  encode(data: Bytes): Promise<Bytes> {
    return runHere('gzip', data, { level: this.level });
  }
  decode(data: Bytes): Promise<Bytes> {
    return runHere('gunzip', data);
  }
}

/** zlib (RFC 1950) through @bfio/codecs. */
class ZlibCodec {
  readonly kind = 'bytes_to_bytes' as const;
  constructor(private readonly level: number) {}
  static fromConfig(config: unknown): ZlibCodec {
    return new ZlibCodec(levelOf(config, 1));
  }
  encode(data: Bytes): Promise<Bytes> {
    return runHere('deflate', data, { level: this.level, native: false });
  }
  decode(data: Bytes): Promise<Bytes> {
    return runHere('inflate', data);
  }
}

/** Below this many input bytes a worker round trip costs more than it saves: zstd runs in place. */
const POOL_MIN_BYTES = 32 * 1024;

/**
 * zstd through @bfio/codecs, both directions (native zstd-napi on Node, WASM elsewhere); `checksum` is Zarr
 * v3's content-checksum flag. Large chunks go to the shared worker pool (parallel, off the event loop), small
 * ones run on the calling thread.
 */
class ZstdCodec {
  readonly kind = 'bytes_to_bytes' as const;
  constructor(
    private readonly level: number,
    private readonly checksum: boolean,
  ) {}
  static fromConfig(config: unknown): ZstdCodec {
    const checksum = (config as { checksum?: unknown } | undefined)?.checksum === true;
    return new ZstdCodec(levelOf(config, 1), checksum);
  }
  async encode(data: Bytes): Promise<Bytes> {
    const pool = data.byteLength >= POOL_MIN_BYTES ? CodecPool.shared() : undefined;
    if (pool) {
      try {
        return await pool.compress(data, this.level, this.checksum);
      } catch (err) {
        if (!(err instanceof PoolUnavailable)) throw err;
      }
    }
    return runHere('zstd-encode', data, { level: this.level, checksum: this.checksum });
  }
  async decode(data: Bytes): Promise<Bytes> {
    const pool = data.byteLength >= POOL_MIN_BYTES / 4 ? CodecPool.shared() : undefined;
    if (pool) {
      try {
        return await pool.decompress(data);
      } catch (err) {
        if (!(err instanceof PoolUnavailable)) throw err;
      }
    }
    return runHere('zstd-decode', data);
  }
}

const SHUFFLE: Record<string, number> = { noshuffle: 0, shuffle: 1, bitshuffle: 2 };

/** Maps Zarr v3's string `shuffle` ('noshuffle' | 'shuffle' | 'bitshuffle') to numcodecs' numbers. */
export function bloscConfig(config: Record<string, unknown>): Record<string, unknown> {
  const shuffle = config.shuffle;
  if (typeof shuffle === 'string') {
    const n = SHUFFLE[shuffle];
    if (n === undefined) throw new TypeError(`unknown blosc shuffle '${shuffle}'`);
    return { ...config, shuffle: n };
  }
  return config;
}

/** The decoded size of one chunk from zarrita's chunk metadata (shape, data type), when it says. */
function chunkBytes(meta: unknown): number | undefined {
  const { shape, dataType } = (meta ?? {}) as { shape?: unknown; dataType?: unknown };
  const size = /(\d+)$/.exec(String(dataType));
  if (!Array.isArray(shape) || !size || !shape.every((n) => Number.isSafeInteger(n) && n >= 0))
    return undefined;
  const bits = Number(size[1]);
  return (shape as number[]).reduce((a, b) => a * b, 1) * Math.max(1, bits / 8);
}

/**
 * A codec of @bfio/codecs' table: on the shared worker pool for chunks big enough to be worth the round
 * trip, else on this thread; `params` for both directions come from the array's metadata.
 */
async function tableCodec(codec: string, data: Bytes, params: Record<string, unknown>): Promise<Bytes> {
  const pool = data.byteLength >= POOL_MIN_BYTES / 4 ? CodecPool.shared() : undefined;
  if (pool) {
    try {
      return await pool.task(codec, data, params);
    } catch (err) {
      if (!(err instanceof PoolUnavailable)) throw err;
    }
  }
  return runHere(codec, data, params);
}

/**
 * Blosc (numcodecs' WASM build, through @bfio/codecs, which checks each frame's header against the frame and
 * the chunk before the decoder allocates). Zarr v3 spells `shuffle` as a string; numcodecs wants a number.
 */
class BloscCodec {
  readonly kind = 'bytes_to_bytes' as const;
  constructor(
    private readonly config: Record<string, unknown>,
    private readonly chunkSize: number | undefined,
  ) {}
  static fromConfig(config: unknown, meta: unknown): BloscCodec {
    return new BloscCodec(bloscConfig((config ?? {}) as Record<string, unknown>), chunkBytes(meta));
  }
  encode(data: Bytes): Promise<Bytes> {
    return tableCodec('blosc-encode', data, this.config);
  }
  decode(data: Bytes): Promise<Bytes> {
    return tableCodec('blosc-decode', data, { outputSize: this.chunkSize });
  }
}

/** LZ4 (numcodecs' WASM build, through @bfio/codecs). */
class Lz4Codec {
  readonly kind = 'bytes_to_bytes' as const;
  constructor(
    private readonly acceleration: number,
    private readonly chunkSize: number | undefined,
  ) {}
  static fromConfig(config: unknown, meta: unknown): Lz4Codec {
    const acceleration = (config as { acceleration?: unknown } | undefined)?.acceleration;
    return new Lz4Codec(typeof acceleration === 'number' ? acceleration : 1, chunkBytes(meta));
  }
  encode(data: Bytes): Promise<Bytes> {
    return tableCodec('lz4-encode', data, { acceleration: this.acceleration });
  }
  decode(data: Bytes): Promise<Bytes> {
    return tableCodec('lz4-decode', data, { outputSize: this.chunkSize });
  }
}

/**
 * Zarr v3's `crc32c`: zarrita's decode drops the 4 checksum bytes without comparing them, so a damaged chunk
 * (or shard index) would read as wrong pixels; this one checks them, as zarr-python does.
 */
class Crc32cCodec {
  readonly kind = 'bytes_to_bytes' as const;
  static fromConfig(): Crc32cCodec {
    return new Crc32cCodec();
  }
  async encode(data: Bytes): Promise<Bytes> {
    const out = new Uint8Array(data.byteLength + 4);
    out.set(data);
    new DataView(out.buffer).setUint32(data.byteLength, crc32c(data), true);
    return out;
  }
  decode(data: Bytes): Bytes {
    if (data.byteLength < 4) throw new Error(`crc32c: ${data.byteLength} bytes, shorter than the checksum`);
    const body = data.subarray(0, data.byteLength - 4);
    const stored = new DataView(data.buffer, data.byteOffset + body.byteLength, 4).getUint32(0, true);
    const actual = crc32c(body);
    if (stored !== actual)
      throw new Error(
        `crc32c checksum mismatch (stored ${stored.toString(16)}, computed ${actual.toString(16)})`,
      );
    return body;
  }
  /** zarrita sizes a shard's index suffix with this. */
  computeEncodedSize(decodedSize: number): number {
    return decodedSize + 4;
  }
}

let registered = false;

/** Registers bfio's codecs in zarrita's registry (once per process). */
export function registerCodecs(): void {
  if (registered) return;
  registered = true;
  const gzip = async () => GzipCodec as unknown as CodecClass;
  const zlibCodec = async () => ZlibCodec as unknown as CodecClass;
  zarr.registry.set('gzip', gzip);
  zarr.registry.set('numcodecs.gzip', gzip);
  zarr.registry.set('zlib', zlibCodec);
  zarr.registry.set('numcodecs.zlib', zlibCodec);
  const crc = async () => Crc32cCodec as unknown as CodecClass;
  zarr.registry.set('crc32c', crc);
  zarr.registry.set('numcodecs.crc32c', crc);
  const zstd = async () => ZstdCodec as unknown as CodecClass;
  zarr.registry.set('zstd', zstd);
  zarr.registry.set('numcodecs.zstd', zstd);
  const blosc = async () => BloscCodec as unknown as CodecClass;
  zarr.registry.set('blosc', blosc);
  zarr.registry.set('numcodecs.blosc', blosc);
  const lz4 = async () => Lz4Codec as unknown as CodecClass;
  zarr.registry.set('lz4', lz4);
  zarr.registry.set('numcodecs.lz4', lz4);
}
