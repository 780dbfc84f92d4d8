/**
 * Answering one request: a byte range of a value (HTTP range semantics: clipped at the end), and a
 * per-request abort that gives up waiting without cancelling work other requests share.
 */

export type ByteRangeRequest = { offset: number; length: number } | { suffixLength: number };

/** Waits for `promise`, or rejects when `signal` aborts first (the shared work goes on for other callers). */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** A slice of `bytes` for a byte range (clipped to its end, as HTTP range semantics do). */
export function sliceRange(bytes: Uint8Array, range: ByteRangeRequest): Uint8Array | undefined {
  if ('suffixLength' in range) {
    const n = range.suffixLength;
    if (!Number.isInteger(n) || n < 0) return undefined;
    return bytes.subarray(Math.max(0, bytes.byteLength - n));
  }
  const { offset, length } = range;
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0) return undefined;
  return bytes.subarray(Math.min(offset, bytes.byteLength), Math.min(offset + length, bytes.byteLength));
}
