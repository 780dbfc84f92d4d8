/**
 * The worker side of @bfio/core's WorkerPool (worker-pool.ts). Plain ESM on purpose: it must load the same
 * way from the repository's sources (run through tsx/vitest) and from dist, with no TypeScript loader in the
 * worker. It imports codec code only (node:zlib here, plus any `modules` the pool was given): never the Java
 * addon, which crashes inside worker_threads.
 *
 * Protocol: { id, codec, input: Uint8Array, params, spare?, returnInput? } in; { id, output: Uint8Array,
 * input? } or { id, error } out. Input and output ArrayBuffers are transferred, never copied; with
 * `returnInput` the input's buffer travels back too, so the caller can reuse it.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
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
  if (params.memLevel !== undefined) options.memLevel = params.memLevel;
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

/** The bytes as unsigned samples of `size` bytes (1, 2 or 4), native endian, without a copy. */
function unsignedView(bytes, size) {
  const n = Math.floor(bytes.byteLength / size);
  if (size === 1) return bytes;
  return size === 2
    ? new Uint16Array(bytes.buffer, bytes.byteOffset, n)
    : new Uint32Array(bytes.buffer, bytes.byteOffset, n);
}

/** Undo horizontal differencing (TIFF predictor 2) on native-endian unsigned samples, row by row. */
function undoHorizontal(bytes, size, rowLength, stride) {
  const view = unsignedView(bytes, size);
  const rows = Math.floor(view.length / rowLength);
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

/**
 * Horizontal differencing (TIFF predictor 2) in place before compression, row by row, from the end so each
 * difference uses the original left neighbour. Unsigned arithmetic of the sample's size: for signed samples
 * the wrapped bits are the same.
 */
function applyHorizontal(bytes, size, rowLength, stride) {
  const view = unsignedView(bytes, size);
  const rows = Math.floor(view.length / rowLength);
  for (let r = 0; r < rows; r++) {
    const base = r * rowLength;
    for (let i = base + rowLength - 1; i >= base + stride; i--) view[i] = view[i] - view[i - stride];
  }
}

/** Steps before compression: `predict` ({ size, rowLength, stride }: horizontal differencing, in place). */
function prefilter(input, params) {
  const p = params.predict;
  if (p) applyHorizontal(input, p.size, p.rowLength, p.stride);
  return input;
}

/** Largest output the reusable-buffer inflate handles; bigger ones (huge strips) take inflateSync. */
const MAX_SCRATCH = 64 * 1024 * 1024;
/** One zlib stream per kind, reset after every task, and one output buffer, both reused task after task. */
const streams = new Map();
let scratch;

/**
 * Inflate into this worker's reusable buffer through the stream's handle (what zlib.inflateSync does
 * inside, minus a new zlib stream and a new output buffer per call): measured ~1.35× inflateSync's
 * throughput per CPU-second on 2 MiB tiles. The result is a view of the scratch buffer, valid until the
 * next task. Undefined when this path does not apply (no size hint, output larger than announced, or a
 * Node whose zlib internals differ): the caller then uses inflateSync.
 */
function inflateReused(kind, input, params) {
  const size = params.outputSize;
  if (!(size > 0) || size + 64 > MAX_SCRATCH) return undefined;
  let stream = streams.get(kind);
  if (stream === undefined) {
    stream = kind === 'inflate' ? new zlib.Inflate() : new zlib.InflateRaw();
    if (typeof stream._handle?.writeSync !== 'function' || !(stream._writeState instanceof Uint32Array)) {
      stream = null; // internals not as expected: never try again
    } else {
      stream.on('error', () => {}); // errors are thrown below; the stream's own 'error' event is moot
    }
    streams.set(kind, stream);
  }
  if (stream === null) return undefined;
  // Never more than maxOutputLength: a fuller buffer goes to inflateSync, which enforces the bound.
  const room = params.maxOutputLength > 0 ? Math.min(size + 64, params.maxOutputLength) : size + 64;
  if (!scratch || scratch.length < room) scratch = new Uint8Array(room);
  stream._handle.writeSync(zlib.constants.Z_FINISH, input, 0, input.length, scratch, 0, room);
  if (stream.destroyed) {
    // zlib reported an error (corrupt or truncated data): the stream is closed; a new one next time.
    streams.delete(kind);
    const err = stream.errored ?? new Error('zlib error');
    throw err;
  }
  const availOut = stream._writeState[0];
  stream.reset();
  if (availOut === 0) return undefined; // more output than announced: let inflateSync find out how much
  return scratch.subarray(0, room - availOut);
}

/**
 * Deflate through a reused stream (one per kind and level) into the scratch buffer, like inflateReused:
 * no zlib stream and no output buffer allocated per task. Undefined when it does not apply.
 */
function deflateReused(kind, input, params) {
  const room = input.length + (input.length >> 10) + 1024; // more than zlib's deflateBound
  if (room > MAX_SCRATCH) return undefined;
  const level = params.level ?? zlib.constants.Z_DEFAULT_COMPRESSION;
  const memLevel = params.memLevel ?? zlib.constants.Z_DEFAULT_MEMLEVEL;
  const key = `${kind}:${level}:${memLevel}`;
  let stream = streams.get(key);
  if (stream === undefined) {
    const options = { level, memLevel };
    stream = kind === 'deflate' ? new zlib.Deflate(options) : new zlib.DeflateRaw(options);
    if (typeof stream._handle?.writeSync !== 'function' || !(stream._writeState instanceof Uint32Array)) {
      stream = null;
    } else {
      stream.on('error', () => {});
    }
    streams.set(key, stream);
  }
  if (stream === null) return undefined;
  if (!scratch || scratch.length < room) scratch = new Uint8Array(room);
  stream._handle.writeSync(zlib.constants.Z_FINISH, input, 0, input.length, scratch, 0, room);
  if (stream.destroyed) {
    streams.delete(key);
    throw stream.errored ?? new Error('zlib error');
  }
  const availOut = stream._writeState[0];
  stream.reset();
  if (availOut === 0) return undefined;
  return scratch.subarray(0, room - availOut);
}

/** Native zlib-format encoders by addon path (null: failed to load here), loaded on first use. */
const natives = new Map();
const requireNative = createRequire(import.meta.url);

/**
 * Deflate with a native addon (`params.native`: absolute path of a Node-API module exporting
 * `zlibCompress(input, level, output) → bytes written, 0 when output is too small`, e.g. @bfio/tiff's
 * libdeflate binding) into the scratch buffer. Undefined when there is none, it does not load here, or
 * the output did not fit: the caller then uses zlib, whose output is the same format.
 */
function deflateNative(input, params) {
  const path = params.native;
  if (typeof path !== 'string' || path === '') return undefined;
  let addon = natives.get(path);
  if (addon === undefined) {
    try {
      addon = requireNative(path);
      if (typeof addon?.zlibCompress !== 'function') addon = null;
    } catch {
      addon = null;
    }
    natives.set(path, addon);
  }
  if (addon === null) return undefined;
  const room = input.length + (input.length >> 10) + 1024; // more than libdeflate's zlib bound
  if (room > MAX_SCRATCH) return undefined;
  if (!scratch || scratch.length < room) scratch = new Uint8Array(room);
  const level = params.level ?? 6;
  const written = addon.zlibCompress(input, level, scratch.subarray(0, room));
  return written > 0 ? scratch.subarray(0, written) : undefined;
}

function deflate(kind, input, params) {
  prefilter(input, params);
  const native = kind === 'deflate' ? deflateNative(input, params) : undefined;
  if (native) return native;
  const out = deflateReused(kind, input, params);
  if (out) return out;
  const sync = kind === 'deflate' ? zlib.deflateSync : zlib.deflateRawSync;
  return sync(input, zlibOptions(params));
}

function inflate(kind, input, params) {
  const out = inflateReused(kind, input, params);
  if (out) return unfilter(out, params);
  const sync = kind === 'inflate' ? zlib.inflateSync : zlib.inflateRawSync;
  return unfilter(sync(input, zlibOptions(params)), params);
}

const codecs = {
  inflate: (input, params) => inflate('inflate', input, params),
  'inflate-raw': (input, params) => inflate('inflate-raw', input, params),
  gunzip: (input, params) => unfilter(zlib.gunzipSync(input, zlibOptions(params)), params),
  deflate: (input, params) => deflate('deflate', input, params),
  'deflate-raw': (input, params) => deflate('deflate-raw', input, params),
  gzip: (input, params) => zlib.gzipSync(prefilter(input, params), zlibOptions(params)),
  /** Test and diagnostics helper: returns the input after `params.ms` of busy work. */
  echo: (input, params) => {
    const start = performance.timeOrigin + performance.now();
    const end = Date.now() + (params.ms ?? 0);
    while (Date.now() < end) {
      // busy: shows whether tasks run in parallel
    }
    if (params.fail) throw new Error(String(params.fail));
    // With `stamp`, answer when the task ran (wall clock, ms): tests check overlap, not speed.
    if (params.stamp)
      return new Uint8Array(new Float64Array([start, performance.timeOrigin + performance.now()]).buffer);
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
  if (output.byteLength === 0) return own(output);
  // The scratch buffer stays here: its bytes leave in a copy.
  if (scratch && output.buffer === scratch.buffer && !(spare && spare.byteLength >= output.byteLength)) {
    return new Uint8Array(output);
  }
  if (!spare || spare.byteLength < output.byteLength) return own(output);
  const view = new Uint8Array(spare, 0, output.byteLength);
  view.set(output);
  return view;
}

/** This worker's reusable buffer for input it reads from a file itself (`params.read`). */
let scratchIn;

/**
 * The task's input read here from an open file descriptor of this process (`{ fd, position, length }`):
 * the caller then neither reads nor transfers the bytes, and this buffer is reused task after task.
 */
function readInput(r) {
  let buffer;
  if (r.length > MAX_SCRATCH) {
    buffer = new Uint8Array(r.length);
  } else {
    if (!scratchIn || scratchIn.length < r.length) scratchIn = new Uint8Array(r.length);
    buffer = scratchIn;
  }
  let done = 0;
  while (done < r.length) {
    const n = fs.readSync(r.fd, buffer, done, r.length - done, r.position + done);
    if (n === 0) {
      const err = new Error(`read ${done} of ${r.length} bytes at ${r.position}: end of file`);
      err.code = 'SHORT_READ';
      throw err;
    }
    done += n;
  }
  return buffer.subarray(0, r.length);
}

parentPort.on('message', async (task) => {
  const { id, codec, params, spare, returnInput } = task;
  let { input } = task;
  try {
    const fn = codecs[codec];
    if (!fn) throw new Error(`unknown codec "${codec}" (known: ${Object.keys(codecs).join(', ')})`);
    if (params?.read) input = readInput(params.read);
    let output = await fn(input, params ?? {});
    // A codec that returns (part of) the read buffer: that buffer stays here too.
    if (scratchIn && output.buffer === scratchIn.buffer) output = new Uint8Array(output);
    output = into(output, spare);
    // The caller's input buffer goes back to it (to be reused for its next task) unless the result is in it.
    if (
      returnInput &&
      !params?.read &&
      input.buffer instanceof ArrayBuffer &&
      input.buffer !== output.buffer
    ) {
      parentPort.postMessage({ id, output, input }, [output.buffer, input.buffer]);
      return;
    }
    parentPort.postMessage({ id, output }, [output.buffer]);
  } catch (err) {
    parentPort.postMessage({
      id,
      error: { name: err?.name ?? 'Error', message: String(err?.message ?? err), code: err?.code },
    });
  }
});
