/**
 * Deflate family on Node: zlib (RFC 1950), raw Deflate and gzip through node:zlib, and libdeflate for zlib
 * encoding (same format, ~2.2× zlib's speed at level 1) and decoding (~1.9×) when its addon loads.
 *
 * Decoding and encoding reuse one zlib stream per kind (and level) and one output buffer per thread: what
 * zlib.inflateSync does inside, minus a new stream and a new output buffer per call — measured ~1.35×
 * inflateSync's throughput per CPU-second on 2 MiB tiles. Results in that buffer are views valid until the
 * next call on this thread: the caller copies them out (see `Scratch`).
 */
import zlib from 'node:zlib';
import { libdeflate } from './native-addons.mjs';
import { scratch } from './scratch.mjs';

/** zlib's smallest and largest output chunk. */
const MIN_CHUNK = 64;
const MAX_CHUNK = 256 * 1024 * 1024;
/** Largest output the reusable buffer takes; bigger ones (huge strips) take the one-shot calls. */
export const MAX_SCRATCH = 64 * 1024 * 1024;

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

/** One zlib stream per kind (and level), reset after every call, null when zlib's internals differ. */
const streams = new Map();

function streamFor(key, make) {
  let stream = streams.get(key);
  if (stream === undefined) {
    stream = make();
    if (typeof stream._handle?.writeSync !== 'function' || !(stream._writeState instanceof Uint32Array)) {
      stream = null; // internals not as expected: never try again
    } else {
      stream.on('error', () => {}); // errors are thrown below; the stream's own 'error' event is moot
    }
    streams.set(key, stream);
  }
  return stream;
}

/** Run a reused stream over `input` into `room` bytes of the scratch buffer; undefined when it overflowed. */
function through(key, stream, input, room) {
  const out = scratch(room);
  stream._handle.writeSync(zlib.constants.Z_FINISH, input, 0, input.length, out, 0, room);
  if (stream.destroyed) {
    // zlib reported an error (corrupt or truncated data): the stream is closed; a new one next time.
    streams.delete(key);
    throw stream.errored ?? new Error('zlib error');
  }
  const availOut = stream._writeState[0];
  stream.reset();
  if (availOut === 0) return undefined; // more output than announced: the one-shot call finds out how much
  return out.subarray(0, room - availOut);
}

function inflateReused(kind, input, params) {
  const size = params.outputSize;
  if (!(size > 0) || size + 64 > MAX_SCRATCH) return undefined;
  const stream = streamFor(kind, () => (kind === 'inflate' ? new zlib.Inflate() : new zlib.InflateRaw()));
  if (stream === null) return undefined;
  // Never more than maxOutputLength: a fuller buffer goes to the one-shot call, which enforces the bound.
  const room = params.maxOutputLength > 0 ? Math.min(size + 64, params.maxOutputLength) : size + 64;
  return through(kind, stream, input, room);
}

function deflateReused(kind, input, params) {
  const room = input.length + (input.length >> 10) + 1024; // more than zlib's deflateBound
  if (room > MAX_SCRATCH) return undefined;
  const level = params.level ?? zlib.constants.Z_DEFAULT_COMPRESSION;
  const memLevel = params.memLevel ?? zlib.constants.Z_DEFAULT_MEMLEVEL;
  const key = `${kind}:${level}:${memLevel}`;
  const stream = streamFor(key, () =>
    kind === 'deflate' ? new zlib.Deflate({ level, memLevel }) : new zlib.DeflateRaw({ level, memLevel }),
  );
  if (stream === null) return undefined;
  return through(key, stream, input, room);
}

/**
 * zlib-format Deflate with libdeflate; undefined without the addon or when it overflowed. Into `into` (the
 * caller's spare buffer, see run-task.mjs) when given: the result then leaves the thread without the copy
 * out of the scratch buffer (1 MiB per 2 MiB TIFF tile); an output too large for it takes the scratch buffer.
 */
function deflateNative(input, params, into) {
  if (params.native === false) return undefined;
  const addon = libdeflate();
  if (!addon) return undefined;
  const level = params.level ?? 6;
  if (into && into.length > 0) {
    const written = addon.zlibCompress(input, level, into);
    if (written > 0) return into.subarray(0, written);
  }
  const room = input.length + (input.length >> 10) + 1024; // more than libdeflate's zlib bound
  if (room > MAX_SCRATCH) return undefined;
  const out = scratch(room);
  const written = addon.zlibCompress(input, level, out.subarray(0, room));
  return written > 0 ? out.subarray(0, written) : undefined;
}

/**
 * zlib-format Inflate with libdeflate (~1.9× node:zlib per CPU-second on 2 MiB tiles) into `into` when given
 * (run-task's spare or placement buffer: no copy out of the scratch buffer), else the scratch buffer.
 * Undefined without the addon, without an announced size, or when libdeflate fails: a damaged stream, or
 * one larger than the room, then goes to node:zlib, which decodes or reports it as before.
 */
function inflateNative(input, params, into) {
  const size = params.outputSize;
  if (params.native === false || !(size > 0) || size + 64 > MAX_SCRATCH) return undefined;
  const addon = libdeflate();
  if (typeof addon?.zlibDecompress !== 'function') return undefined;
  let room = into && into.length > 0 ? into.length : size + 64;
  if (params.maxOutputLength > 0) room = Math.min(room, params.maxOutputLength);
  const out = into && into.length > 0 ? into.subarray(0, room) : scratch(room).subarray(0, room);
  const written = addon.zlibDecompress(input, out);
  return written >= 0 ? out.subarray(0, written) : undefined;
}

/**
 * Decode: 'inflate' (zlib), 'inflate-raw' or 'gunzip'; params { outputSize?, maxOutputLength?, native? };
 * `into`: where libdeflate may put the result (see `inflateNative`).
 */
export function inflate(kind, input, params, into) {
  if (kind === 'inflate') {
    const out = inflateNative(input, params, into);
    if (out) return out;
  }
  if (kind !== 'gunzip') {
    const out = inflateReused(kind, input, params);
    if (out) return out;
  }
  const sync =
    kind === 'inflate' ? zlib.inflateSync : kind === 'gunzip' ? zlib.gunzipSync : zlib.inflateRawSync;
  return sync(input, zlibOptions(params));
}

/**
 * Encode: 'deflate' (zlib), 'deflate-raw' or 'gzip'; params { level?, memLevel?, native? }; `into`: where
 * libdeflate may put the result (see `deflateNative`).
 */
export function deflate(kind, input, params, into) {
  if (kind === 'gzip') return zlib.gzipSync(input, zlibOptions(params));
  const native = kind === 'deflate' ? deflateNative(input, params, into) : undefined;
  if (native) return native;
  const out = deflateReused(kind, input, params);
  if (out) return out;
  return (kind === 'deflate' ? zlib.deflateSync : zlib.deflateRawSync)(input, zlibOptions(params));
}

/**
 * The same codecs on libuv's thread pool (node:zlib's async calls): for work on the main thread, which then
 * never blocks the event loop; the result is a fresh buffer (one output buffer of the announced size).
 */
const callbacks = {
  inflate: zlib.inflate,
  'inflate-raw': zlib.inflateRaw,
  gunzip: zlib.gunzip,
  deflate: zlib.deflate,
  'deflate-raw': zlib.deflateRaw,
  gzip: zlib.gzip,
};

export function zlibAsync(kind) {
  const fn = callbacks[kind];
  return (input, params) =>
    new Promise((resolve, reject) =>
      fn(input, zlibOptions(params), (err, out) => (err ? reject(err) : resolve(out))),
    );
}
