/**
 * Large read results on SharedArrayBuffers, released when their reader's caller drops them. V8 counts no
 * SharedArrayBuffer as memory it must collect for, so in a program reading a 2 GiB image again and again the
 * dropped results stayed: RSS grew by the result's size on every read (2.2, 4.2, 6.3, 8.3 GiB after four
 * reads of 2 GiB, with the system CPU time of a read up 2.3× as the kernel made room), and when V8 did
 * collect, for its own reasons in the middle of a later read, it freed them in that pause (~0.9 s for 2 GiB
 * on this 2-core machine, while no block was dispatched). So: once the results made since the last collection
 * that are still alive add up to a lot, collect before making the next one (Node; a page has no way to ask).
 */
import { collectGarbage } from '#platform';

/**
 * Bytes of the results made since the last collection asked for here that have not been collected yet
 * (tracked by finalization: a WeakRef's deref() would keep its buffer alive through that very collection).
 */
let pending = 0;
/** Bumped at each collection asked for here: results made before it no longer count. */
let epoch = 0;
const collected = new FinalizationRegistry<{ bytes: number; epoch: number }>((r) => {
  if (r.epoch === epoch) pending -= r.bytes;
});

/**
 * Collect when results this large (together) may be garbage: one full collection per 256 MiB read at most.
 * Reading a 1024³ uint16 volume as 64 blocks of 32 MiB (bench:zarr3d) then peaks at 0.7–0.8 GiB resident
 * (2.2 GiB when nothing was collected; zarr-python, zarrs and tensorstore 0.25–0.45 GiB).
 */
const COLLECT_AFTER_BYTES = 256 * 2 ** 20;

/**
 * A zero-filled SharedArrayBuffer of `bytes`, after releasing dropped ones (see above): for a read result, or
 * for buffers a backend shares with its codec workers (a writer's tiles), so that the process collects the ones
 * nobody holds any more.
 */
export function sharedMemory(bytes: number): SharedArrayBuffer {
  if (pending >= COLLECT_AFTER_BYTES) {
    // Whatever is still held after this is the caller's; counting starts again from the next result.
    collectGarbage();
    pending = 0;
    epoch++;
  }
  const buffer = new SharedArrayBuffer(bytes);
  pending += bytes;
  collected.register(buffer, { bytes, epoch });
  return buffer;
}
