/**
 * The filters that sit between a codec and the pixels, one copy for every codec, backend and platform:
 * byte order, TIFF's horizontal and floating-point predictors, float16 widening, bit unpacking and bit
 * reversal, and YCbCr → RGB. Plain ESM: the codec workers (worker_threads and Web Workers) import it as
 * it is, and so does the main thread when it decodes without a pool.
 *
 * All work in place on native-endian (little-endian) data unless they say otherwise.
 */

/** Node's Buffer, when there is one: its swap16/32/64 are native loops, several times faster than JS. */
const NodeBuffer = globalThis.Buffer;

/** Reverse the byte order of every `size`-byte sample in place (2, 4 or 8; 1 is a no-op). */
export function swapBytes(bytes, size) {
  if (NodeBuffer && (size === 2 || size === 4 || size === 8)) {
    const whole = bytes.length - (bytes.length % size);
    const buf = NodeBuffer.from(bytes.buffer, bytes.byteOffset, whole);
    if (size === 2) buf.swap16();
    else if (size === 4) buf.swap32();
    else buf.swap64();
    return;
  }
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

/** `bytes` as unsigned samples of `size` bytes (1, 2 or 4), native endian, without a copy. */
export function unsignedView(bytes, size) {
  if (size === 1) return bytes;
  const n = Math.floor(bytes.byteLength / size);
  return size === 2
    ? new Uint16Array(bytes.buffer, bytes.byteOffset, n)
    : new Uint32Array(bytes.buffer, bytes.byteOffset, n);
}

/**
 * Horizontal differencing (TIFF predictor 2) in place, before compression: rows of `rowLength` samples,
 * `stride` samples per pixel, each sample minus the same sample of the pixel to its left. Runs from the end
 * of the row so each difference uses the original neighbour. `samples` is a typed array of the sample type
 * (or unsigned of its size: the wrapped bits are the same for signed samples).
 */
export function applyHorizontal(samples, rowLength, stride) {
  const rows = Math.floor(samples.length / rowLength);
  for (let r = 0; r < rows; r++) {
    const base = r * rowLength;
    for (let i = base + rowLength - 1; i >= base + stride; i--) samples[i] = samples[i] - samples[i - stride];
  }
}

/** The native undo (native-copy/filters.c), registered by the Node codec table where the addon is built. */
let nativeUndo;

/** Registers the native `undoHorizontal(samples, rowLength, stride)` (Uint8/16/32Array samples). */
export function useNativeUndo(fn) {
  nativeUndo = fn;
}

/** The unsigned view of 1-, 2- or 4-byte integer samples (the wrapped sums are the same bits), else undefined. */
function unsignedSamples(samples) {
  if (samples instanceof Uint8Array || samples instanceof Uint16Array || samples instanceof Uint32Array)
    return samples;
  const { buffer, byteOffset, length } = samples;
  if (samples instanceof Int8Array) return new Uint8Array(buffer, byteOffset, length);
  if (samples instanceof Int16Array) return new Uint16Array(buffer, byteOffset, length);
  if (samples instanceof Int32Array) return new Uint32Array(buffer, byteOffset, length);
  return undefined;
}

/** Undo horizontal differencing in place (see applyHorizontal), row by row. */
export function undoHorizontal(samples, rowLength, stride) {
  if (nativeUndo) {
    const view = unsignedSamples(samples);
    if (view) {
      nativeUndo(view, rowLength, stride);
      return;
    }
  }
  const rows = Math.floor(samples.length / rowLength);
  if (stride === 1) {
    // One sample per pixel (most images): the running sum kept in a local int32 (`| 0`), not reloaded from
    // the array, is ~2.4× the general loop in V8 (0.30 vs 0.72 CPU-s per 512 MiB of uint16); the store
    // wraps it to the sample's width, as the general loop's does.
    for (let r = 0; r < rows; r++) {
      const base = r * rowLength;
      const end = base + rowLength;
      let acc = samples[base];
      for (let i = base + 1; i < end; i++) {
        acc = (acc + samples[i]) | 0;
        samples[i] = acc;
      }
    }
    return;
  }
  for (let r = 0; r < rows; r++) {
    const base = r * rowLength;
    for (let i = base + stride; i < base + rowLength; i++) samples[i] = samples[i] + samples[i - stride];
  }
}

/**
 * Floating-point predictor (TIFF predictor 3, Adobe Technical Note 3) before compression: each row's bytes
 * regrouped by significance (most significant byte of every sample first), then byte-differenced with
 * `stride` (samples per pixel). `bytes` holds native (little-endian) samples of `size` bytes; returns a new
 * buffer.
 */
export function applyFloatPredictor(bytes, rowSamples, stride, size) {
  const rowBytes = rowSamples * size;
  const rows = Math.floor(bytes.length / rowBytes);
  const out = new Uint8Array(rows * rowBytes);
  for (let r = 0; r < rows; r++) {
    const base = r * rowBytes;
    for (let b = 0; b < size; b++) {
      const dst = base + b * rowSamples;
      const srcByte = size - 1 - b;
      for (let i = 0; i < rowSamples; i++) out[dst + i] = bytes[base + i * size + srcByte];
    }
    for (let i = base + rowBytes - 1; i >= base + stride; i--) out[i] = (out[i] - out[i - stride]) & 0xff;
  }
  return out;
}

/**
 * Undo the floating-point predictor: byte-differenced rows, most significant bytes first. `bytes` is
 * modified; the result (a new buffer) holds native little-endian samples.
 */
export function undoFloatPredictor(bytes, rowSamples, stride, size) {
  const rowBytes = rowSamples * size;
  const rows = Math.floor(bytes.length / rowBytes);
  const out = new Uint8Array(rows * rowBytes);
  for (let r = 0; r < rows; r++) {
    const row = bytes.subarray(r * rowBytes, (r + 1) * rowBytes);
    for (let i = stride; i < rowBytes; i++) row[i] = (row[i] + row[i - stride]) & 0xff;
    const dst = r * rowBytes;
    for (let i = 0; i < rowSamples; i++) {
      for (let b = 0; b < size; b++) out[dst + i * size + b] = row[(size - b - 1) * rowSamples + i];
    }
  }
  return out;
}

/** IEEE half floats widened to float32. */
export function float16ToFloat32(h) {
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) {
    const v = h[i];
    const s = v & 0x8000 ? -1 : 1;
    const e = (v >> 10) & 0x1f;
    const f = v & 0x3ff;
    if (e === 0) out[i] = s * 2 ** -14 * (f / 1024);
    else if (e === 31) out[i] = f ? Number.NaN : s * Number.POSITIVE_INFINITY;
    else out[i] = s * 2 ** (e - 15) * (1 + f / 1024);
  }
  return out;
}

/**
 * Unpack MSB-first packed samples of `bits` (1..31) bits, each row padded to whole bytes, into `out` (a typed
 * array of whole samples): `rows` rows of `rowSamples`.
 */
export function unpackSamples(bytes, bits, rowSamples, rows, out) {
  const rowBytes = Math.ceil((rowSamples * bits) / 8);
  for (let r = 0; r < rows; r++) {
    let bitPos = r * rowBytes * 8;
    const o = r * rowSamples;
    for (let i = 0; i < rowSamples; i++) {
      let v = 0;
      for (let b = 0; b < bits; b++, bitPos++) {
        v = v * 2 + ((bytes[bitPos >> 3] >> (7 - (bitPos & 7))) & 1);
      }
      out[o + i] = v;
    }
  }
}

/** Reverse the bit order of every byte in place (TIFF FillOrder 2). */
export function reverseBits(bytes) {
  for (let i = 0; i < bytes.length; i++) {
    let b = bytes[i];
    b = ((b & 0xf0) >> 4) | ((b & 0x0f) << 4);
    b = ((b & 0xcc) >> 2) | ((b & 0x33) << 2);
    b = ((b & 0xaa) >> 1) | ((b & 0x55) << 1);
    bytes[i] = b;
  }
}

/** YCbCr (JFIF, full range) to RGB in place, interleaved 8-bit samples. */
export function ycbcrToRgb(data) {
  for (let i = 0; i + 2 < data.length; i += 3) {
    const y = data[i];
    const cb = data[i + 1] - 128;
    const cr = data[i + 2] - 128;
    data[i] = Math.min(255, Math.max(0, Math.round(y + 1.402 * cr)));
    data[i + 1] = Math.min(255, Math.max(0, Math.round(y - 0.344136 * cb - 0.714136 * cr)));
    data[i + 2] = Math.min(255, Math.max(0, Math.round(y + 1.772 * cb)));
  }
}

/**
 * The steps after decompression that a worker can do, in order: `swap` (sample size in bytes), then
 * `horizontal` ({ size, rowLength, stride }: undo predictor 2 on unsigned samples of `size` bytes).
 */
export function unfilter(bytes, params) {
  if (params.swap > 1) swapBytes(bytes, params.swap);
  const h = params.horizontal;
  if (h) undoHorizontal(unsignedView(bytes, h.size), h.rowLength, h.stride);
  return bytes;
}

/** The step before compression a worker can do: `predict` ({ size, rowLength, stride }), in place. */
export function prefilter(bytes, params) {
  const p = params.predict;
  if (p) applyHorizontal(unsignedView(bytes, p.size), p.rowLength, p.stride);
  return bytes;
}
