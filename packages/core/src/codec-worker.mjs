/**
 * The worker side of @bfio/core's WorkerPool (worker-pool.ts). Plain ESM on purpose: it must load the same
 * way from the repository's sources (run through tsx/vitest) and from dist, with no TypeScript loader in the
 * worker. It imports codec code only (node:zlib here, plus any `modules` the pool was given): never the Java
 * addon, which crashes inside worker_threads.
 *
 * Protocol: { id, codec, input: Uint8Array, params } in; { id, output: Uint8Array } or { id, error } out.
 * Input and output ArrayBuffers are transferred, never copied.
 */
import { parentPort, workerData } from 'node:worker_threads';
import zlib from 'node:zlib';

/** zlib's smallest and largest output chunk. */
const MIN_CHUNK = 64;
const MAX_CHUNK = 256 * 1024 * 1024;

/**
 * Options for a one-shot zlib call. An `outputSize` hint makes zlib write the whole result into a single
 * buffer (the default 16 KiB chunks cost one extra pass and a concatenation); `maxOutputLength` bounds what
 * corrupt input can make it allocate.
 */
function zlibOptions(params) {
  const options = {};
  // A little more than the output: when the buffer fills exactly, zlib runs once more to find the end.
  if (params.outputSize > 0) {
    options.chunkSize = Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, params.outputSize + 64));
  }
  if (params.maxOutputLength > 0) options.maxOutputLength = params.maxOutputLength;
  if (params.level !== undefined) options.level = params.level;
  return options;
}

/** Reverse the byte order of every `size`-byte sample in place (file endianness → native little endian). */
function swapBytes(bytes, size) {
  if (size === 2) {
    for (let i = 0; i + 1 < bytes.length; i += 2) {
      const a = bytes[i];
      bytes[i] = bytes[i + 1];
      bytes[i + 1] = a;
    }
  } else if (size === 4) {
    for (let i = 0; i + 3 < bytes.length; i += 4) {
      const a = bytes[i];
      const b = bytes[i + 1];
      bytes[i] = bytes[i + 3];
      bytes[i + 1] = bytes[i + 2];
      bytes[i + 2] = b;
      bytes[i + 3] = a;
    }
  } else if (size === 8) {
    for (let i = 0; i + 7 < bytes.length; i += 8) {
      for (let k = 0; k < 4; k++) {
        const a = bytes[i + k];
        bytes[i + k] = bytes[i + 7 - k];
        bytes[i + 7 - k] = a;
      }
    }
  }
}

/** Undo horizontal differencing (TIFF predictor 2) on native-endian unsigned samples, row by row. */
function undoHorizontal(bytes, size, rowLength, stride) {
  const n = Math.floor(bytes.byteLength / size);
  const view =
    size === 1
      ? bytes
      : size === 2
        ? new Uint16Array(bytes.buffer, bytes.byteOffset, n)
        : new Uint32Array(bytes.buffer, bytes.byteOffset, n);
  const rows = Math.floor(n / rowLength);
  for (let r = 0; r < rows; r++) {
    const base = r * rowLength;
    for (let i = base + stride; i < base + rowLength; i++) view[i] = view[i] + view[i - stride];
  }
}

/**
 * Copy `rows` rows of `rowBytes` from the result into shared memory: row r goes from
 * `srcOffset + r * srcStride` of the result to `dstOffset + r * dstStride` of `target`.
 */
function scatter(out, s) {
  const last = s.srcOffset + (s.rows - 1) * s.srcStride + s.rowBytes;
  if (s.rows > 0 && last > out.length) {
    const err = new Error(`decoded to ${out.length} bytes, ${last} needed`);
    err.code = 'SHORT_OUTPUT';
    throw err;
  }
  if (s.dstOffset + (s.rows - 1) * s.dstStride + s.rowBytes > s.target.length) {
    throw new RangeError('scatter past the end of the target');
  }
  for (let r = 0; r < s.rows; r++) {
    const from = s.srcOffset + r * s.srcStride;
    s.target.set(out.subarray(from, from + s.rowBytes), s.dstOffset + r * s.dstStride);
  }
  return new Uint8Array(0);
}

/**
 * Steps after decompression, in order: `swap` (sample size in bytes), `horizontal` ({ size, rowLength,
 * stride }), then `scatter` (rows into a SharedArrayBuffer; the task then returns no bytes). They run here so
 * the main thread has nothing, or only a copy, left to do.
 */
function unfilter(out, params) {
  if (params.swap > 1) swapBytes(out, params.swap);
  const h = params.horizontal;
  if (h) undoHorizontal(out, h.size, h.rowLength, h.stride);
  if (params.scatter) return scatter(out, params.scatter);
  return out;
}

const codecs = {
  inflate: (input, params) => unfilter(zlib.inflateSync(input, zlibOptions(params)), params),
  'inflate-raw': (input, params) => unfilter(zlib.inflateRawSync(input, zlibOptions(params)), params),
  gunzip: (input, params) => unfilter(zlib.gunzipSync(input, zlibOptions(params)), params),
  deflate: (input, params) => zlib.deflateSync(input, zlibOptions(params)),
  'deflate-raw': (input, params) => zlib.deflateRawSync(input, zlibOptions(params)),
  gzip: (input, params) => zlib.gzipSync(input, zlibOptions(params)),
  /** Test and diagnostics helper: returns the input after `params.ms` of busy work. */
  echo: (input, params) => {
    const end = Date.now() + (params.ms ?? 0);
    while (Date.now() < end) {
      // busy: shows whether tasks run in parallel
    }
    if (params.fail) throw new Error(String(params.fail));
    return input;
  },
};

// Extra codec modules (plain JS/wasm, e.g. a Zarr backend's blosc): each exports `codecs`.
for (const url of workerData?.modules ?? []) {
  const mod = await import(url);
  Object.assign(codecs, mod.codecs ?? {});
}

/**
 * A result that can be transferred: Node's small Buffers are slices of a shared pool slab
 * (Buffer.poolSize bytes), which must not move; those (small) results are copied.
 */
function own(out) {
  const bytes = out instanceof Uint8Array ? out : new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  if (bytes.buffer.byteLength > Buffer.poolSize) return bytes;
  return new Uint8Array(bytes);
}

/**
 * The result in the caller's spare buffer when it fits: the caller then reuses the same memory task after
 * task (no fresh pages to fault in, no garbage for its collector), and zlib's buffer stays in this thread.
 */
function into(output, spare) {
  if (!spare || spare.byteLength < output.byteLength || output.byteLength === 0) return own(output);
  const view = new Uint8Array(spare, 0, output.byteLength);
  view.set(output);
  return view;
}

parentPort.on('message', async (task) => {
  const { id, codec, input, params, spare } = task;
  try {
    const fn = codecs[codec];
    if (!fn) throw new Error(`unknown codec "${codec}" (known: ${Object.keys(codecs).join(', ')})`);
    const output = into(await fn(input, params ?? {}), spare);
    parentPort.postMessage({ id, output }, [output.buffer]);
  } catch (err) {
    parentPort.postMessage({
      id,
      error: { name: err?.name ?? 'Error', message: String(err?.message ?? err), code: err?.code },
    });
  }
});
