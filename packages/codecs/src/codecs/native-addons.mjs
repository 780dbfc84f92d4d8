/**
 * Where this package's optional Node-API addons are and whether they load: libdeflate (native/, a zlib-format
 * Deflate encoder ~2.2× zlib's speed at level 1, libdeflate 1.25 compiled from native/libdeflate/ as
 * imagecodecs bundles it) and libjpeg-turbo (native-jpeg/, the decoder tifffile's pixels come from, and the
 * encoder). Built by this package's `install` script: libdeflate wherever a C compiler is, libjpeg-turbo when
 * the system library's headers are present; without them Deflate stays on node:zlib, JPEG reads fall back to
 * libjpeg-turbo compiled to WASM and JPEG writes are refused at create. Loaded lazily, once per thread (main
 * thread and each codec worker). `BFIO_LIBDEFLATE=0` / `BFIO_NATIVE_JPEG=0` (or the older
 * `BFIO_TIFF_NATIVE_JPEG=0`) turn them off, for comparisons.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { useNativeUndo } from '../filters.mjs';
import { useNativeCopy, useNativePrefault } from '../placement.mjs';

const require = createRequire(import.meta.url);

/** The addon's absolute path: from src/codecs in the sources, from dist in the bundle. */
function locate(dir, file) {
  for (const rel of [`../../${dir}/build/Release/${file}`, `../${dir}/build/Release/${file}`]) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return path;
  }
  return undefined;
}

function load(dir, file, check) {
  const path = locate(dir, file);
  if (!path) return null;
  try {
    const addon = require(path);
    return check(addon) ? { addon, path } : null;
  } catch {
    // Built for another Node ABI, or the library is missing at run time.
    return null;
  }
}

let deflate;
let jpeg;

/**
 * libdeflate's binding `{ zlibCompress(input, level, output) → bytes written (0: output too small),
 * zlibDecompress(input, output) → bytes decoded (-1: damaged or too large), horizontalPredict(bytes, size,
 * rowLength, stride) (TIFF predictor 2 in place, every encoder's: predict-node.mjs), version }` (an addon
 * built before zlibDecompress or horizontalPredict existed lacks it: callers check).
 */
export function libdeflate() {
  if (deflate === undefined) {
    deflate =
      process.env.BFIO_LIBDEFLATE === '0'
        ? null
        : load('native', 'bfio_libdeflate.node', (a) => typeof a?.zlibCompress === 'function');
  }
  return deflate?.addon;
}

/** The libjpeg-turbo binding `{ decode, encode? }`, or undefined. */
export function libjpeg() {
  if (jpeg === undefined) {
    const off = process.env.BFIO_NATIVE_JPEG === '0' || process.env.BFIO_TIFF_NATIVE_JPEG === '0';
    jpeg = off ? null : load('native-jpeg', 'bfio_jpeg.node', (a) => typeof a?.decode === 'function');
  }
  return jpeg?.addon;
}

let copy;

/**
 * The strided-copy binding `{ placeBlocks(src, dst, bytes, strides, blocks), undoHorizontal(samples, rowLength,
 * stride) }` (native-copy/: memcpy per row, the predictor's undo in C,
 * no library), or undefined. `BFIO_NATIVE_COPY=0` turns it off.
 */
export function nativeCopy() {
  if (copy === undefined) {
    copy =
      process.env.BFIO_NATIVE_COPY === '0'
        ? null
        : load('native-copy', 'bfio_copy.node', (a) => typeof a?.placeBlocks === 'function');
  }
  return copy?.addon;
}
// Every strided copy on a thread that loads the Node codecs (each worker's placement, the main thread's
// copies) goes through the addon when it is built.
const copier = nativeCopy();
if (copier) useNativeCopy(copier.placeBlocks);
// The predictor's undo too (absent from an addon built before it), and the prefault of large results.
if (typeof copier?.undoHorizontal === 'function') useNativeUndo(copier.undoHorizontal);
// `BFIO_HUGE_PAGES=0`: results keep 4 KiB pages (huge pages, see native-copy/prefault.c, cost memory in 2 MiB
// steps; a program that holds many small-but-over-4-MiB results may prefer that).
const huge = typeof copier?.hugePages === 'function' && process.env.BFIO_HUGE_PAGES !== '0';
if (typeof copier?.prefault === 'function')
  useNativePrefault(copier.prefault, huge ? copier.hugePages : undefined);

let lane;

/**
 * The chunk lane `{ decode(path, input, offset, length, codec, room, dst, target, bytes, strides, blocks,
 * frames) → Promise<bytes>, decodeRows, deflate, lanes(n) }` (native-lane/lane.c: read, decode, place, on the
 * addon's own threads), or
 * undefined. `BFIO_CHUNK_LANE=0` turns it off (the codec workers then do that work).
 */
export function libLane() {
  if (lane === undefined) {
    lane =
      process.env.BFIO_CHUNK_LANE === '0'
        ? null
        : // An addon built before the lane had threads of its own (no `lanes`) is not used.
          load(
            'native-lane',
            'bfio_lane.node',
            (a) => typeof a?.decode === 'function' && typeof a?.lanes === 'function',
          );
  }
  return lane?.addon;
}

/** zstd-napi (libzstd compiled from its bundled sources), or undefined when it does not load. */
let zstd;
export function libzstd() {
  if (zstd === undefined) {
    zstd = null;
    const env = process.env;
    // One switch for every backend (the per-backend names of earlier versions still work).
    if (![env.BFIO_NATIVE_ZSTD, env.BFIO_ZARR_NATIVE_ZSTD, env.BFIO_TIFF_NATIVE_ZSTD].includes('0')) {
      try {
        const api = require('zstd-napi');
        const binding = require('zstd-napi/binding');
        zstd = { api, binding };
      } catch {
        // Not built here: the WASM decoder serves.
      }
    }
  }
  return zstd ?? undefined;
}

let lzw;

/**
 * The LZW decoder `{ lzwDecode(input, output) → bytes decoded (-1: invalid code, -2: an old-style LSB-first
 * stream) }` (native/lzw.c, no library: built wherever a compiler is), or undefined. `BFIO_NATIVE_LZW=0`
 * turns it off.
 */
export function liblzw() {
  if (lzw === undefined) {
    lzw =
      process.env.BFIO_NATIVE_LZW === '0'
        ? null
        : load('native', 'bfio_lzw.node', (a) => typeof a?.lzwDecode === 'function');
  }
  return lzw?.addon;
}
