/**
 * The optional native Deflate encoder (native/: a Node-API binding over the system's libdeflate, built by
 * this package's `install` script when libdeflate-dev is present). libdeflate level 1 compresses 1024²
 * uint16 microscopy tiles at ~240 MiB per CPU-second vs ~110 for zlib (same level, slightly smaller output),
 * and it is what bfio and tifffile use (imagecodecs). It runs inside @bfio/core's codec workers, which load
 * it from the path given with each task; without it Deflate stays on node:zlib.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Where the built addon sits, from src/writer (sources) or from dist (the bundle). */
const CANDIDATES = [
  '../../native/build/Release/bfio_libdeflate.node',
  '../native/build/Release/bfio_libdeflate.node',
];

let resolved: string | null | undefined;

/**
 * Absolute path of the addon when it is built and loads here, else undefined (the writer then uses zlib).
 * `BFIO_LIBDEFLATE=0` turns it off (for comparisons).
 */
export function libdeflatePath(): string | undefined {
  if (resolved === undefined) {
    resolved = null;
    if (process.env.BFIO_LIBDEFLATE !== '0') {
      const require = createRequire(import.meta.url);
      for (const rel of CANDIDATES) {
        const path = fileURLToPath(new URL(rel, import.meta.url));
        if (!existsSync(path)) continue;
        try {
          const addon = require(path) as { zlibCompress?: unknown };
          if (typeof addon.zlibCompress === 'function') {
            resolved = path;
            break;
          }
        } catch {
          // Built for another Node ABI or libdeflate missing at run time: zlib it is.
        }
      }
    }
  }
  return resolved ?? undefined;
}
