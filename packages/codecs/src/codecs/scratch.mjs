/**
 * This thread's reusable buffers (per worker, and on the main thread): codecs decode or encode into them
 * instead of allocating per block, and the task runner copies results out (into the caller's spare buffer,
 * shared memory or a fresh buffer) — no fresh pages to fault in, no garbage for the collector. Slots keep
 * buffers that are alive at the same time apart: 'out' (a codec's output), 'in' (bytes read from a file by
 * the worker), 'decoded' (a block decoded only to be placed into shared memory). Views of a slot are valid
 * until its next use on this thread.
 */
const buffers = new Map();

/** At least `size` bytes of this thread's buffer for `slot` (grown, never shrunk). */
export function scratch(size, slot = 'out') {
  let buffer = buffers.get(slot);
  if (!buffer || buffer.length < size) {
    buffer = new Uint8Array(size);
    buffers.set(slot, buffer);
  }
  return buffer;
}

/** Whether `bytes` is a view of one of this thread's scratch buffers (then it must be copied to leave). */
export function isScratch(bytes) {
  for (const buffer of buffers.values()) if (bytes.buffer === buffer.buffer) return true;
  return false;
}
