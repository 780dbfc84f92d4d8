/**
 * `params.fetch` of run-task.mjs: a worker fetches its own input (an HTTP range of `url`, or the whole object
 * when `length` is left out), so in a browser the page's main thread neither downloads nor transfers the
 * bytes. `{ url, offset?, length?, headers?, timeoutMs? }`. Any failure is the task's error with a `code`
 * ('ENOENT' for 404, 'HTTP', 'SHORT_READ', 'RANGE', or the fetch's own): callers treat this as the fast path
 * and fall back to their own request (with its retries and typed errors) when it fails.
 */
export async function fetchRange(f) {
  const ranged = f.length !== undefined;
  const what = ranged ? `bytes ${f.offset}+${f.length} of ${f.url}` : f.url;
  const headers = { ...(f.headers ?? {}) };
  if (ranged) headers.Range = `bytes=${f.offset}-${f.offset + f.length - 1}`;
  // A stalled server must not hold a worker forever: the whole request (headers and body) gets this long.
  const signal = f.timeoutMs > 0 ? AbortSignal.timeout(f.timeoutMs) : undefined;
  const res = await fetch(f.url, { headers, signal });
  if (res.status !== 206 && res.status !== 200) {
    await res.body?.cancel();
    const err = new Error(`HTTP ${res.status} for ${what}`);
    err.code = res.status === 404 ? 'ENOENT' : 'HTTP';
    throw err;
  }
  if (ranged && res.status === 206) {
    // A server (or proxy) answering with other bytes than were asked for would give wrong pixels silently.
    const got = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '');
    if (got && Number(got[1]) !== f.offset) {
      await res.body?.cancel();
      const err = new Error(`the server sent bytes from ${got[1]} for ${what}`);
      err.code = 'RANGE';
      throw err;
    }
  }
  let bytes = new Uint8Array(await res.arrayBuffer());
  if (!ranged) return bytes;
  // A server that ignores Range sends the whole file: keep the part asked for.
  if (res.status === 200 && bytes.length > f.length) bytes = bytes.slice(f.offset, f.offset + f.length);
  if (bytes.length !== f.length) {
    const err = new Error(`got ${bytes.length} of ${f.length} bytes at ${f.offset} of ${f.url}`);
    err.code = 'SHORT_READ';
    throw err;
  }
  return bytes;
}
