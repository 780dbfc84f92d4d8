/**
 * Native Zstandard for TIFF tiles (the `zstd-napi` addon, built from its bundled libzstd), loaded by the main
 * thread (to decide) and by the codec workers (to run it). Without it (not built, or BFIO_TIFF_NATIVE_ZSTD=0)
 * zstd tiles stay on geotiff's decoder and numcodecs' WASM encoder on the main thread.
 */
import { createRequire } from 'node:module';

let loaded;

/** The addon (`{ compress, decompress }`), or undefined. */
export function zstdNative() {
  if (loaded === undefined) {
    loaded = null;
    if (process.env.BFIO_TIFF_NATIVE_ZSTD !== '0') {
      try {
        loaded = createRequire(import.meta.url)('zstd-napi');
      } catch {
        // Not built here: the WASM codecs serve.
      }
    }
  }
  return loaded ?? undefined;
}
