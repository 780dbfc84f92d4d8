/**
 * The one strided copy: a block of elements from one typed array into another, each with its own offset and
 * strides (in elements). Every placement of decoded pixels goes through here — a tile into a plane, a chunk
 * into a 5-D region, a region into a chunk, a worker's decoded block into shared memory — so there is one
 * loop to make fast and to bounds-check. Plain ESM: the codec workers import it too.
 */

/**
 * A native strided copy (Node: native-copy/, memcpy per row), registered by the Node codec table: in
 * JavaScript every row is a subarray and a `set`, and the 64–256-element rows of 3-D chunks cost more CPU
 * than decoding them (4–16 million rows per 1024³ read).
 */
let native;
/** Scratch arguments of the native call (it is synchronous: one set per thread is enough). */
const nativeStrides = new Float64Array(10);
const nativeBlock = new Float64Array(7);
/** Fewer rows than this go through `set` (the native call costs about as much as a few rows). */
const NATIVE_ROWS = 8;
/**
 * A contiguous copy touching shared memory at least this large goes through the native memcpy too: V8 copies
 * into or out of a SharedArrayBuffer with a relaxed-atomic loop (`relaxed_memmove`, ~3.6 GB/s here) where
 * glibc's memcpy moves 10+ GB/s: 0.14 s of the main thread per 512 MiB of tiles a TIFF writer takes in.
 */
const NATIVE_SHARED_BYTES = 16384;
const Shared = typeof SharedArrayBuffer === 'undefined' ? undefined : SharedArrayBuffer;

/** The native `prefault(bytes) → errno` (native-copy/prefault.c), while the kernel supports it. */
let nativePrefault;

/** The native `hugePages(bytes) → errno` (native-copy/prefault.c), while the kernel supports it. */
let nativeHugePages;

/** Registers the native `prefault` and `hugePages` (see native-copy/prefault.c). */
export function useNativePrefault(fn, huge) {
  nativePrefault = fn;
  nativeHugePages = huge;
}

/**
 * Results from this size up to PREFAULT_MIN_BYTES ask for transparent huge pages before anything touches
 * them: a 32 MiB result is 16 faults instead of 8,192 (see native-copy/prefault.c). Smaller ones hold few
 * 2 MiB-aligned pages. Larger ones are prefaulted instead: asking for 2 GiB of huge pages made the kernel
 * compact memory to find them (a 1024³ uint16 read: 2.4–3.0 s against 1.5–2.3 s with 4 KiB pages).
 */
const HUGE_PAGES_MIN_BYTES = 4 * 2 ** 20;

/** Results at least this large are prefaulted ahead of the workers (smaller ones fault cheaply enough). */
const PREFAULT_MIN_BYTES = 64 * 2 ** 20;
/** Prefaulted this much at a time, then the thread's other work (dispatching blocks) runs: ~5 ms here. */
const PREFAULT_BAND_BYTES = 16 * 2 ** 20;

/**
 * Asks for huge pages for a result of 4 to 64 MiB (any memory), and makes a larger shared result's pages
 * present ahead of the codec workers that will place pixels in it, band
 * after band in address order, yielding between bands: one thread populating memory in bulk costs less CPU
 * than two workers faulting it page by page at once (see native-copy/prefault.c), and it starts while they are
 * still booting or decoding their first blocks (a 16384² uint16 full read: 1.30–1.45 → 1.11–1.26 CPU-s).
 * Returns a function that stops it (call it when the read is over, failed or not), or undefined when nothing
 * was started: without the addon, on memory that is not shared, or below PREFAULT_MIN_BYTES. Never changes
 * the contents.
 */
export function prefaultAhead(target) {
  const size = target.byteLength;
  if (nativeHugePages !== undefined && size >= HUGE_PAGES_MIN_BYTES && size < PREFAULT_MIN_BYTES) {
    const err = nativeHugePages(target); // any TypedArray: the addon takes its bytes
    // EINVAL / ENOSYS: a kernel without transparent huge pages; no later result asks again.
    if (err === 22 || err === 38) nativeHugePages = undefined;
  }
  if (nativePrefault === undefined || Shared === undefined) return undefined;
  if (!(target.buffer instanceof Shared) || size < PREFAULT_MIN_BYTES) return undefined;
  const bytes = new Uint8Array(target.buffer, target.byteOffset, size);
  let stopped = false;
  const run = async () => {
    for (let at = 0; at < bytes.length && !stopped; at += PREFAULT_BAND_BYTES) {
      const err = nativePrefault?.(bytes.subarray(at, at + PREFAULT_BAND_BYTES)) ?? 0;
      if (err !== 0) {
        // EINVAL / ENOSYS: a kernel without MADV_POPULATE_WRITE (before 5.14), or not Linux; the workers
        // fault the pages as before, and no later result asks again.
        if (err === 22 || err === 38) nativePrefault = undefined;
        return;
      }
      await yieldTurn();
    }
  };
  void run();
  return () => {
    stopped = true;
  };
}

/** Runs `read` (which fills `target`) with `prefaultAhead(target)` beside it, stopped when the read settles. */
export async function prefaulting(target, read) {
  const stop = prefaultAhead(target);
  try {
    return await read();
  } finally {
    stop?.();
  }
}

/** Lets the thread's queued work run (setImmediate where there is one: no 1 ms timer clamp). */
function yieldTurn() {
  return new Promise((resolve) =>
    typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0),
  );
}

/** Registers the native `placeBlocks(src, dst, bytes, strides, blocks)` (see native-copy/copy.c). */
export function useNativeCopy(fn) {
  native = fn;
}

/**
 * Copy `shape` elements from `src` (starting at `srcOffset`, `srcStrides` per axis) to `dst` (`dstOffset`,
 * `dstStrides`). Axes of size 1 are dropped first, so a Y,X block padded to 5-D copies whole rows; the
 * innermost axis is one `set` when both sides are contiguous there. Throws a RangeError (before writing
 * anything) when the block reaches past either array: typed-array writes past the end are silently lost.
 */
export function copyBlock(src, srcOffset, srcStrides, dst, dstOffset, dstStrides, shape) {
  let nd = 0;
  let lastS = srcOffset;
  let lastD = dstOffset;
  const keep = [];
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d];
    if (n <= 0) return;
    if (n === 1) continue;
    keep.push(d);
    lastS += (n - 1) * srcStrides[d];
    lastD += (n - 1) * dstStrides[d];
    nd++;
  }
  if (srcOffset < 0 || lastS >= src.length)
    throw new RangeError(`a block reads past its source (element ${lastS} of ${src.length})`);
  if (dstOffset < 0 || lastD >= dst.length)
    throw new RangeError(`a block writes past its target (element ${lastD} of ${dst.length})`);
  if (nd === 0) {
    dst[dstOffset] = src[srcOffset];
    return;
  }
  // Axes contiguous with the next one on both sides merge (a whole chunk read as its own region, rows as
  // wide as the target's): fewer, longer rows, down to one `set` for a block contiguous on both sides.
  if (nd > 1) {
    const sizes = keep.map((d) => shape[d]);
    const ss = keep.map((d) => srcStrides[d]);
    const ds = keep.map((d) => dstStrides[d]);
    let k = nd - 1;
    while (k > 0 && ss[k - 1] === ss[k] * sizes[k] && ds[k - 1] === ds[k] * sizes[k]) {
      sizes[k - 1] *= sizes[k];
      ss[k - 1] = ss[k];
      ds[k - 1] = ds[k];
      k--;
    }
    if (k < nd - 1) {
      const merged = sizes.slice(0, k + 1);
      copyBlock(src, srcOffset, ss.slice(0, k + 1), dst, dstOffset, ds.slice(0, k + 1), merged);
      return;
    }
  }
  // Same element type on both sides: bits copied as they are, so memcpy is exact.
  if (
    native !== undefined &&
    nd <= 5 &&
    src.constructor === dst.constructor &&
    src.buffer !== dst.buffer &&
    manyRows(shape, keep)
  ) {
    const pad = 5 - nd;
    for (let d = 0; d < 5; d++) {
      const axis = d < pad ? -1 : keep[d - pad];
      nativeStrides[d] = axis < 0 ? 0 : srcStrides[axis];
      nativeStrides[5 + d] = axis < 0 ? 0 : dstStrides[axis];
      nativeBlock[2 + d] = axis < 0 ? 1 : shape[axis];
    }
    nativeBlock[0] = srcOffset;
    nativeBlock[1] = dstOffset;
    native(src, dst, src.BYTES_PER_ELEMENT, nativeStrides, nativeBlock);
    return;
  }
  const last = keep[nd - 1];
  const n = shape[last];
  const ss = srcStrides[last];
  const ds = dstStrides[last];
  const contiguous = ss === 1 && ds === 1;
  if (nd === 1) {
    if (contiguous && native !== undefined && sharedCopy(src, dst, n)) {
      nativeStrides.fill(0);
      nativeStrides[4] = 1;
      nativeStrides[9] = 1;
      nativeBlock.fill(1);
      nativeBlock[0] = srcOffset;
      nativeBlock[1] = dstOffset;
      nativeBlock[6] = n;
      native(src, dst, src.BYTES_PER_ELEMENT, nativeStrides, nativeBlock);
      return;
    }
    copyRow(src, srcOffset, ss, dst, dstOffset, ds, n, contiguous);
    return;
  }
  if (nd === 2) {
    // The common case (rows of a tile or a plane): no counter array.
    const outer = keep[0];
    const rows = shape[outer];
    const rs = srcStrides[outer];
    const rd = dstStrides[outer];
    for (let r = 0; r < rows; r++)
      copyRow(src, srcOffset + r * rs, ss, dst, dstOffset + r * rd, ds, n, contiguous);
    return;
  }
  const counter = new Array(nd - 1).fill(0);
  let outer = 1;
  for (let k = 0; k < nd - 1; k++) outer *= shape[keep[k]];
  for (let k = 0; k < outer; k++) {
    let si = srcOffset;
    let di = dstOffset;
    for (let d = 0; d < nd - 1; d++) {
      si += counter[d] * srcStrides[keep[d]];
      di += counter[d] * dstStrides[keep[d]];
    }
    copyRow(src, si, ss, dst, di, ds, n, contiguous);
    for (let d = nd - 2; d >= 0; d--) {
      counter[d]++;
      if (counter[d] < shape[keep[d]]) break;
      counter[d] = 0;
    }
  }
}

/** Whether `n` contiguous elements are worth the native call: same type, distinct buffers, shared memory. */
function sharedCopy(src, dst, n) {
  return (
    Shared !== undefined &&
    src.constructor === dst.constructor &&
    src.buffer !== dst.buffer &&
    n * src.BYTES_PER_ELEMENT >= NATIVE_SHARED_BYTES &&
    (src.buffer instanceof Shared || dst.buffer instanceof Shared)
  );
}

/** Whether the block has at least NATIVE_ROWS rows. */
function manyRows(shape, keep) {
  let rows = 1;
  for (let k = 0; k < keep.length - 1; k++) rows *= shape[keep[k]];
  return rows >= NATIVE_ROWS;
}

function copyRow(src, si, ss, dst, di, ds, n, contiguous) {
  if (contiguous) dst.set(src.subarray(si, si + n), di);
  else for (let i = 0; i < n; i++) dst[di + i * ds] = src[si + i * ss];
}

/** An element view of `bytes` (sizes 1, 2, 4, 8: unsigned integers, so any type's bits copy unchanged). */
export function elementView(bytes, size) {
  const n = Math.floor(bytes.byteLength / size);
  if (size === 1) return bytes;
  if (size === 2) return new Uint16Array(bytes.buffer, bytes.byteOffset, n);
  if (size === 4) return new Uint32Array(bytes.buffer, bytes.byteOffset, n);
  if (size === 8) return new BigUint64Array(bytes.buffer, bytes.byteOffset, n);
  throw new RangeError(`cannot place ${size}-byte elements`);
}

/**
 * A decoded block placed by a codec worker (`params.place`): `target` (a view of shared memory), `bytes` per
 * element, 5-D (t, c, z, y, x) element strides `srcStride` of the block and `dstStride` of the target, and
 * `blocks`, 7 numbers per piece: block element offset, target element offset, counts along t, c, z, y, x.
 * Returns no bytes (the pixels are in the target).
 */
export function placeBlocks(block, place) {
  const src = elementView(block, place.bytes);
  const dst = elementView(place.target, place.bytes);
  const b = place.blocks;
  for (let i = 0; i + 7 <= b.length; i += 7) {
    copyBlock(src, b[i], place.srcStride, dst, b[i + 1], place.dstStride, [
      b[i + 2],
      b[i + 3],
      b[i + 4],
      b[i + 5],
      b[i + 6],
    ]);
  }
  return new Uint8Array(0);
}

/**
 * Rows of a decoded block copied into shared memory (`params.scatter`): row r from `srcOffset + r * srcStride`
 * of the block to `dstOffset + r * dstStride` of `target`, `rowBytes` each. A block shorter than its rows is
 * an error with code 'SHORT_OUTPUT' (the caller names the block). Returns no bytes.
 */
export function scatterRows(block, s) {
  const last = s.srcOffset + (s.rows - 1) * s.srcStride + s.rowBytes;
  if (s.rows > 0 && last > block.length) {
    const err = new Error(`decoded to ${block.length} bytes, ${last} needed`);
    err.code = 'SHORT_OUTPUT';
    throw err;
  }
  copyBlock(
    block,
    s.srcOffset,
    [s.srcStride, 1],
    s.target,
    s.dstOffset,
    [s.dstStride, 1],
    [s.rows, s.rowBytes],
  );
  return new Uint8Array(0);
}
