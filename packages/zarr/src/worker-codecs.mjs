/**
 * @bfio/zarr's codecs for @bfio/core's WorkerPool (loaded into its workers through the pool's `modules`):
 * native zstd (the zstd-napi addon) and whole-chunk reads that decode in the worker, so the main thread
 * only places pixels. Plain ESM on purpose: it loads the same way from the sources and from dist, with no
 * TypeScript loader in the worker.
 *
 * Codecs (input → output):
 * - 'zarr-zstd-compress': bytes → a zstd frame; params `{ level, checksum }`.
 * - 'zarr-zstd-decompress': a zstd frame → bytes.
 * - 'zarr-read-chunk': reads the chunk file `params.path` (only bytes `params.range` = [offset, length] of it
 *   for a chunk inside a shard) and decodes it (`params.codec`: 'zstd' or 'raw') to
 *   exactly `params.size` bytes. The input is memory to decode into when it has `size` bytes (moved here by
 *   the caller, returned as the output: no copy), else ignored. A missing file fails with code 'ENOENT'
 *   (or 'ENOTDIR'): the caller reads the fill value.
 *   With `params.place` the decoded chunk is not returned but copied into shared memory (the caller's
 *   output array, a view of a SharedArrayBuffer), and the task returns no bytes: the worker then also does
 *   the placement and its page faults, and decodes into a buffer it reuses. `place` is
 *   `{ target, bytes, srcStride, dstStride, blocks }`: `bytes` per element, 5-D (t,c,z,y,x) element strides
 *   of the chunk and of the target, and `blocks`, 7 numbers per block: chunk element offset, target
 *   element offset, then the counts along t, c, z, y, x.
 * - 'zarr-decode-chunk': as 'zarr-read-chunk', for a chunk whose (compressed) bytes are the input (a remote
 *   store's, fetched by the main thread).
 * - 'zarr-write-chunk': encodes the input (a whole chunk's bytes; `params.codec`: 'zstd' at `params.level`,
 *   or 'raw') and writes it as the file `params.path` (its directory must exist), returning no bytes: the
 *   encoded chunk never leaves the worker, and the caller (moving its buffer here with `returnInput`) gets
 *   its input back to reuse. The encoder's context and output buffer are this worker's, reused.
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

// A worker that cannot load the addon must still start: the pool is shared with other backends, and a
// module that fails to import would take every worker down. Its codecs then fail, task by task.
let zstd;
let binding;
let dctx;
let loadError;
try {
  zstd = require('zstd-napi');
  binding = require('zstd-napi/binding');
  dctx = new binding.DCtx();
} catch (err) {
  loadError = err;
}

function native() {
  if (loadError)
    throw new Error(`the zstd-napi addon does not load in the codec worker: ${loadError.message}`);
}

/** This worker's reusable buffer for compressed chunk files (only their decoded bytes leave the worker). */
let scratch;

/**
 * The file at `path` (or its `range`: [offset, length], a chunk inside a shard) read into `want` (when
 * undefined, this worker's scratch buffer).
 */
function readFile(path, want, range) {
  const fd = openSync(path, 'r');
  try {
    const at = range ? range[0] : 0;
    const size = range ? range[1] : fstatSync(fd).size;
    let buffer = want;
    if (want === undefined) {
      if (!scratch || scratch.length < size) scratch = new Uint8Array(Math.max(size, 1 << 16));
      buffer = scratch;
    } else if (size !== want.length) {
      throw new Error(`the chunk has ${size} bytes, expected ${want.length}`);
    }
    let done = 0;
    while (done < size) {
      const n = readSync(fd, buffer, done, size - done, at + done);
      if (n === 0) throw new Error(`read ${done} of ${size} bytes: end of file`);
      done += n;
    }
    return buffer.subarray(0, size);
  } finally {
    closeSync(fd);
  }
}

/** This worker's reusable buffer for decoded chunks that are placed here (never leave the worker). */
let decoded;

function scratchOf(size) {
  if (!decoded || decoded.length < size) decoded = new Uint8Array(size);
  return decoded.subarray(0, size);
}

/** An element view of `bytes` (sizes 1, 2, 4, 8: unsigned integers, so float bits copy unchanged). */
function elements(bytes, size) {
  const n = Math.floor(bytes.byteLength / size);
  if (size === 1) return bytes;
  if (size === 2) return new Uint16Array(bytes.buffer, bytes.byteOffset, n);
  if (size === 4) return new Uint32Array(bytes.buffer, bytes.byteOffset, n);
  if (size === 8) return new BigUint64Array(bytes.buffer, bytes.byteOffset, n);
  throw new RangeError(`cannot place ${size}-byte elements`);
}

/** Copies the blocks of `place` from the decoded chunk into the shared target (see the header). */
function placeBlocks(chunk, place) {
  const src = elements(chunk, place.bytes);
  const dst = elements(place.target, place.bytes);
  const [sT, sC, sZ, sY, sX] = place.srcStride;
  const [oT, oC, oZ, oY] = place.dstStride;
  const b = place.blocks;
  for (let i = 0; i + 7 <= b.length; i += 7) {
    const [s0, d0, tn, cn, nz, ny, nx] = b.slice(i, i + 7);
    if (tn <= 0 || cn <= 0 || nz <= 0 || ny <= 0 || nx <= 0) continue;
    // Bounds first: element writes past the end of a typed array are silently dropped.
    const lastS = s0 + (tn - 1) * sT + (cn - 1) * sC + (nz - 1) * sZ + (ny - 1) * sY + (nx - 1) * sX;
    const lastD = d0 + (tn - 1) * oT + (cn - 1) * oC + (nz - 1) * oZ + (ny - 1) * oY + nx - 1;
    if (s0 < 0 || lastS >= src.length) throw new RangeError(`a block reads past the chunk (${lastS})`);
    if (d0 < 0 || lastD >= dst.length) throw new RangeError(`a block writes past the output (${lastD})`);
    for (let t = 0; t < tn; t++)
      for (let c = 0; c < cn; c++)
        for (let z = 0; z < nz; z++)
          for (let y = 0; y < ny; y++) {
            const s = s0 + t * sT + c * sC + z * sZ + y * sY;
            const d = d0 + t * oT + c * oC + z * oZ + y * oY;
            if (sX === 1 || nx === 1) dst.set(src.subarray(s, s + nx), d);
            else for (let x = 0; x < nx; x++) dst[d + x] = src[s + x * sX];
          }
  }
  return new Uint8Array(0);
}

/** `src` (a zstd frame) decoded to exactly `size` bytes, into `dest` when it has that size. */
function decodeInto(src, size, dest) {
  if (binding.getFrameContentSize(src) === size) {
    const dst = dest && dest.length === size ? dest : new Uint8Array(size);
    const n = dctx.decompress(dst, src);
    if (n !== size) throw new Error(`the chunk decodes to ${n} bytes, expected ${size}`);
    return dst;
  }
  // No content size in the frame header (streamed frames): the addon's streaming decoder finds it.
  const out = zstd.decompress(src);
  if (out.byteLength !== size)
    throw new Error(`the chunk decodes to ${out.byteLength} bytes, expected ${size}`);
  return out;
}

/** This worker's zstd compression context (at `cctxLevel`) and output buffer, reused chunk after chunk. */
let cctx;
let cctxLevel;
let encoded;

/** `input` as one zstd frame (content size in the header, no checksum), in the reused output buffer. */
function compressReused(input, level) {
  if (!cctx) cctx = new binding.CCtx();
  if (cctxLevel !== level) {
    cctx.reset(binding.ResetDirective.parameters);
    cctx.setParameter(binding.CParameter.compressionLevel, level);
    cctxLevel = level;
  }
  const bound = binding.compressBound(input.byteLength);
  if (!encoded || encoded.length < bound) encoded = new Uint8Array(bound);
  const n = cctx.compress2(encoded, input);
  return encoded.subarray(0, n);
}

/** Writes `bytes` as the whole file at `path` (created or truncated). */
function writeWhole(path, bytes) {
  const fd = openSync(path, 'w');
  try {
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
  } finally {
    closeSync(fd);
  }
}

export const codecs = {
  'zarr-zstd-compress': (input, params) => {
    native();
    return zstd.compress(input, {
      compressionLevel: params.level ?? 1,
      checksumFlag: params.checksum === true,
    });
  },
  'zarr-zstd-decompress': (input) => {
    native();
    return zstd.decompress(input);
  },
  'zarr-write-chunk': (input, params) => {
    const { path, codec, level } = params;
    if (codec === 'raw') writeWhole(path, input);
    else {
      native();
      writeWhole(path, compressReused(input, level ?? 1));
    }
    return new Uint8Array(0);
  },
  'zarr-decode-chunk': (input, params) => {
    const { codec, size, place } = params;
    if (codec === 'raw') {
      if (input.length !== size) throw new Error(`the chunk has ${input.length} bytes, expected ${size}`);
      return place ? placeBlocks(input, place) : input;
    }
    native();
    return place
      ? placeBlocks(decodeInto(input, size, scratchOf(size)), place)
      : decodeInto(input, size, undefined);
  },
  'zarr-read-chunk': (input, params) => {
    const { path, codec, size, place, range } = params;
    if (place) {
      if (codec === 'raw') return placeBlocks(readFile(path, scratchOf(size), range), place);
      native();
      return placeBlocks(decodeInto(readFile(path, undefined, range), size, scratchOf(size)), place);
    }
    const dest = input.length === size ? input : undefined;
    if (codec === 'raw') return readFile(path, dest ?? new Uint8Array(size), range);
    native();
    return decodeInto(readFile(path, undefined, range), size, dest);
  },
};
