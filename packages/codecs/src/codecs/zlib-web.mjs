/**
 * Deflate family in a browser: the platform's own `DecompressionStream` / `CompressionStream` ('deflate' is
 * zlib, RFC 1950; 'deflate-raw'; 'gzip'), native code in every current browser and in Node ≥ 18 — no WASM to
 * download. Decoding streams into one buffer of the announced size and stops past `maxOutputLength`, so
 * corrupt input cannot make it allocate without bound. Encoding ignores the level (the platform's choice).
 */
const FORMATS = { inflate: 'deflate', 'inflate-raw': 'deflate-raw', gunzip: 'gzip' };

async function readAll(readable, params, into) {
  const size = Math.max(params.outputSize, 0);
  const limit = params.maxOutputLength > 0 ? params.maxOutputLength : Number.POSITIVE_INFINITY;
  let out = into && into.length >= size && size > 0 ? into : new Uint8Array(size || 1 << 16);
  let n = 0;
  const reader = readable.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (n + value.length > limit) {
      await reader.cancel();
      throw new Error(`the data decodes past ${limit} bytes`);
    }
    if (n + value.length > out.length) {
      const grown = new Uint8Array(Math.min(limit, Math.max(out.length * 2, n + value.length)));
      grown.set(out.subarray(0, n));
      out = grown;
    }
    out.set(value, n);
    n += value.length;
  }
  return out.subarray(0, n);
}

function pipe(Stream, format, input) {
  const stream = new Stream(format);
  const writer = stream.writable.getWriter();
  // Errors surface on the readable side; the writer's promises would otherwise be unhandled rejections.
  writer.write(input).catch(() => {});
  writer.close().catch(() => {});
  return stream.readable;
}

export function inflateWeb(kind) {
  return (input, params, into) => readAll(pipe(DecompressionStream, FORMATS[kind], input), params, into);
}

export function deflateWeb(format) {
  return (input) => readAll(pipe(CompressionStream, format, input), {}, undefined);
}
