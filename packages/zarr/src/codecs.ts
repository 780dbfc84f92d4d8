/**
 * Codec registrations zarrita lacks. zarrita decodes gzip/zlib but cannot encode them, and numcodecs' Blosc
 * wants a numeric `shuffle` where Zarr v3 metadata spells it as a string. Registering is idempotent and
 * global to zarrita's registry (it is process-wide, like numcodecs' in Python).
 */
import { runHere } from '@bfio/codecs';
import * as zarr from 'zarrita';
import { CodecPool, PoolUnavailable } from './codec-pool.js';
import { crc32c } from './shard.js';

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

/**
 * Blosc's 16-byte header gives the frame's compressed length (bytes 12–15) and what it decodes to (4–7).
 * numcodecs' Blosc decodes some garbage to nothing without an error, which zarrita would then read as the
 * fill value: a frame that disagrees with its own header is refused instead (silently wrong pixels never).
 */
/** The decoded size of one chunk from zarrita's chunk metadata (shape, data type), when it says. */
function chunkBytes(meta: unknown): number | undefined {
  const { shape, dataType } = (meta ?? {}) as { shape?: unknown; dataType?: unknown };
  const size = /(\d+)$/.exec(String(dataType));
  if (!Array.isArray(shape) || !size || !shape.every((n) => Number.isSafeInteger(n) && n >= 0))
    return undefined;
  const bits = Number(size[1]);
  return (shape as number[]).reduce((a, b) => a * b, 1) * Math.max(1, bits / 8);
}

export function bloscFrameLength(data: Uint8Array): number {
  if (data.byteLength < 16)
    throw new Error(`blosc frame of ${data.byteLength} bytes is shorter than its 16-byte header`);
  const view = new DataView(data.buffer, data.byteOffset, 16);
  const cbytes = view.getUint32(12, true);
  if (cbytes !== data.byteLength)
    throw new Error(`blosc header says ${cbytes} compressed bytes, but the chunk has ${data.byteLength}`);
  return view.getUint32(4, true);
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

interface BytesCodec {
  encode(data: Bytes): Promise<Bytes>;
  decode(data: Bytes): Promise<Bytes>;
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
  // Wrap zarrita's own Blosc (numcodecs WASM) rather than importing numcodecs, which is not our dependency.
  const original = zarr.registry.get('blosc');
  if (!original) return;
  const blosc = async () => {
    const Blosc = await original();
    return {
      kind: Blosc.kind ?? 'bytes_to_bytes',
      fromConfig: (config: unknown, meta: unknown) => {
        const inner = Blosc.fromConfig(
          bloscConfig((config ?? {}) as Record<string, unknown>),
          meta as never,
        ) as unknown as BytesCodec;
        return {
          kind: Blosc.kind ?? 'bytes_to_bytes',
          encode: (data: Bytes) => inner.encode(data),
          async decode(data: Bytes): Promise<Bytes> {
            const want = bloscFrameLength(data);
            // A damaged header can claim up to 4 GiB, which the WASM decoder allocates before it fails.
            const most = chunkBytes(meta);
            if (most !== undefined && want > most)
              throw new Error(`blosc header says ${want} decoded bytes, more than a chunk holds (${most})`);
            const out = await inner.decode(data);
            if (out.byteLength !== want)
              throw new Error(`blosc frame decoded to ${out.byteLength} bytes, its header says ${want}`);
            return out;
          },
        };
      },
    } as unknown as CodecClass;
  };
  zarr.registry.set('blosc', blosc);
  zarr.registry.set('numcodecs.blosc', blosc);
}
