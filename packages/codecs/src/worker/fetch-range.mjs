/**
 * `params.fetch` of run-task.mjs: a worker fetches its own input (an HTTP range of `url`), so in a browser
 * the page's main thread neither downloads nor transfers the bytes. `{ url, offset, length, headers? }`.
 */
export async function fetchRange(f) {
  const headers = { ...(f.headers ?? {}), Range: `bytes=${f.offset}-${f.offset + f.length - 1}` };
  const res = await fetch(f.url, { headers });
  if (res.status !== 206 && res.status !== 200) {
    const err = new Error(`HTTP ${res.status} for bytes ${f.offset}+${f.length} of ${f.url}`);
    err.code = res.status === 404 ? 'ENOENT' : 'HTTP';
    throw err;
  }
  let bytes = new Uint8Array(await res.arrayBuffer());
  // A server that ignores Range sends the whole file: keep the part asked for.
  if (res.status === 200 && bytes.length > f.length) bytes = bytes.slice(f.offset, f.offset + f.length);
  if (bytes.length !== f.length) {
    const err = new Error(`got ${bytes.length} of ${f.length} bytes at ${f.offset} of ${f.url}`);
    err.code = 'SHORT_READ';
    throw err;
  }
  return bytes;
}
