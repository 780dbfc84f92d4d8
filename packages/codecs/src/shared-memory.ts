/**
 * Whether a view lies on a SharedArrayBuffer: the one test behind every "a worker reads or writes it where it
 * lies" path (lent chunks, placed results, shared task inputs). False where the global is missing (a page that
 * is not cross-origin isolated has no SharedArrayBuffer at all).
 */
export function onSharedMemory(view: { buffer: ArrayBufferLike }): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && view.buffer instanceof SharedArrayBuffer;
}
