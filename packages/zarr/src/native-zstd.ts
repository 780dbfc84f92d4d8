/**
 * Native Zstandard (the `zstd-napi` addon, built from its bundled libzstd sources) when it loads; numcodecs'
 * WASM zstd stays the fallback. Native zstd is several times faster than the WASM build and decodes frames
 * without a content size, which the WASM decoder rejects.
 */
import { createRequire } from 'node:module';

export interface ZstdBinding {
  compress(data: Uint8Array, parameters?: { compressionLevel?: number; checksumFlag?: boolean }): Buffer;
  decompress(data: Uint8Array): Buffer;
}

let loaded: ZstdBinding | null | undefined;

/** The native binding, or undefined when the addon is missing or fails to load (then WASM is used). */
export function nativeZstd(): ZstdBinding | undefined {
  if (loaded === undefined) {
    if (process.env.BFIO_ZARR_NATIVE_ZSTD === '0') loaded = null;
    else {
      try {
        loaded = createRequire(import.meta.url)('zstd-napi') as ZstdBinding;
      } catch {
        loaded = null;
      }
    }
  }
  return loaded ?? undefined;
}
