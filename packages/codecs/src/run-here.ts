/**
 * Codec tasks on the calling thread, with the same table and the same steps as the workers (run-task.mjs):
 * for small blocks (a worker round trip costs more than it saves), for callers without a pool, and where
 * workers cannot start.
 */
import { implementation, io, table } from '#platform';
import { isScratch } from './codecs/scratch.mjs';
import type { CodecParams } from './pool/worker-pool.js';
import { runTask } from './run-task.mjs';

/** Runs codec `codec` on `input` here; resolves with bytes the caller owns. */
export function runHere(
  codec: string,
  input: Uint8Array,
  params: CodecParams = {},
  spare?: ArrayBuffer,
): Promise<Uint8Array> {
  return runTask(table, io, { codec, input, params, spare });
}

/** Whether codec `codec` has an implementation on this platform (a writer checks before its first byte). */
export function codecAvailable(codec: string): boolean {
  return codec in table && implementation(codec) !== 'none';
}

/**
 * A synchronous codec call on this thread, for the few callers that cannot wait (a zstd chunk encoded inside
 * a synchronous write path). Throws when the codec is asynchronous here (WASM or stream based): check
 * `implementation(codec) === 'native'` first.
 */
export function runHereSync(codec: string, input: Uint8Array, params: CodecParams = {}): Uint8Array {
  const fn = table[codec];
  if (!fn) throw new Error(`unknown codec "${codec}"`);
  const out = fn(input, params);
  if (out instanceof Promise) {
    out.catch(() => {});
    throw new Error(`${codec} is asynchronous on this platform (${implementation(codec)})`);
  }
  // A view of this thread's scratch buffer is only valid until the next codec call: the caller gets a copy.
  return isScratch(out) ? out.slice() : out;
}

export { implementation };
