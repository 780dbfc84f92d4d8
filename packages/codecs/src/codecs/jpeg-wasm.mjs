/**
 * JPEG decoding without the native addon (browsers, and Node when native-jpeg/ does not load): libjpeg-turbo's
 * TurboJPEG decoder compiled to WebAssembly (@cwasm/jpeg-turbo, inlined by scripts/inline-jpeg-wasm.mjs). It
 * runs libjpeg-turbo's own IDCT, upsampling and colour conversion, so its samples equal the addon's and
 * tifffile's (imagecodecs' libjpeg-turbo) byte for byte — a JavaScript decoder differs by ±1 and more.
 *
 * TurboJPEG reads complete streams only, and picks the colour transform from the stream's markers; TIFF
 * stores abbreviated streams and says the transform in its Photometric tag. So a block is rewritten first:
 * the page's JPEGTables (SOI, DQT/DHT, EOI) without their EOI, then the block without its SOI, and for
 * 3-component blocks of photometric RGB (2) or YCbCr (6) an Adobe APP14 marker that says "no transform" or
 * "YCbCr" in place of the stream's own JFIF/Adobe markers — what native-jpeg/jpeg.c does by setting
 * `jpeg_color_space` (libtiff and tifffile take photometric RGB as untransformed RGB too). The frame header is
 * read here before the decoder runs, so a block never decodes to more than `params.outputSize` bytes.
 *
 * The module (139 KB, 53 KB gzip) is compiled on first use, once per thread. An instance whose decoder failed
 * (libjpeg's error exit unwinds out of WebAssembly, leaving its stack and heap as they were) is dropped, as is
 * one whose memory grew past MAX_MEMORY; the next block gets a fresh one.
 */

const TJPF_RGB = 0;
const TJPF_GRAY = 6;
const TJPF_CMYK = 11;
const PIXEL_FORMAT = { 1: TJPF_GRAY, 3: TJPF_RGB, 4: TJPF_CMYK };
/** A thread keeps one instance while its memory stays below this (a few large tiles' worth). */
const MAX_MEMORY = 128 << 20;

let compiling;
let wasmModule;
let instance;

/** Thrown (as a JavaScript exception through the WebAssembly frames) where libjpeg would longjmp. */
class LibjpegExit extends Error {}

function bytesOfBase64(text) {
  if (typeof Uint8Array.fromBase64 === 'function') return Uint8Array.fromBase64(text);
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function compile() {
  compiling ??= import('./jpeg-turbo-wasm.mjs')
    .then((m) => WebAssembly.compile(bytesOfBase64(m.JPEG_TURBO_WASM_BASE64)))
    .then((module) => {
      wasmModule = module;
    })
    .catch((e) => {
      compiling = undefined;
      throw new Error(`JPEG: the WebAssembly libjpeg-turbo decoder does not load here (${e?.message ?? e})`);
    });
  return compiling;
}

/**
 * The module's imports: libjpeg's setjmp/longjmp (an error exit throws), and the few WASI calls its C library
 * links; none is reached while decoding from memory, so they fail loudly if ever called.
 */
function imports(memory) {
  const unused = (name) => () => {
    throw new Error(`JPEG: the WebAssembly decoder called ${name}`);
  };
  return {
    env: {
      setjmp: () => 0,
      longjmp: () => {
        throw new LibjpegExit('corrupt or unsupported JPEG data (libjpeg-turbo stopped)');
      },
    },
    wasi_snapshot_preview1: {
      // No environment variables: TurboJPEG's getenv() finds none.
      environ_sizes_get: (count, size) => {
        const view = new DataView(memory().buffer);
        view.setUint32(count, 0, true);
        view.setUint32(size, 0, true);
        return 0;
      },
      environ_get: () => 0,
      proc_exit: unused('proc_exit'),
      fd_close: unused('fd_close'),
      fd_seek: unused('fd_seek'),
      fd_write: unused('fd_write'),
    },
  };
}

/** This thread's decoder instance, made from the compiled module when there is none (or it was dropped). */
function decoder() {
  if (!instance) {
    const made = new WebAssembly.Instance(
      wasmModule,
      imports(() => made.exports.memory),
    );
    instance = made.exports;
  }
  return instance;
}

/**
 * The marker segments of a stream after its SOI, as [marker, start, end]: up to SOS (whose entropy-coded data
 * follows), EOI, or the end of the bytes (a JPEGTables tag without its EOI, which libjpeg reads too).
 */
function segments(b, what) {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8)
    throw new Error(`JPEG: the ${what} does not start with an SOI marker`);
  const out = [];
  let i = 2;
  while (i < b.length) {
    if (b[i] !== 0xff || i + 1 === b.length) throw new Error(`JPEG: the ${what} has no marker at byte ${i}`);
    const marker = b[i + 1];
    if (marker === 0xff) {
      i++; // a fill byte
      continue;
    }
    if (marker === 0xd9) {
      out.push([marker, i, i + 2]);
      return out;
    }
    const end = i + 2 + ((b[i + 2] << 8) | b[i + 3]);
    if (i + 3 >= b.length || end > b.length || end < i + 4)
      throw new Error(`JPEG: the ${what} ends inside its header`);
    out.push([marker, i, end]);
    if (marker === 0xda) return out;
    i = end;
  }
  return out;
}

const isFrame = (m) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

/** An Adobe APP14 marker: transform 0 = components are RGB as stored, 1 = YCbCr. */
const adobe = (transform) =>
  Uint8Array.of(0xff, 0xee, 0, 14, 0x41, 0x64, 0x6f, 0x62, 0x65, 0, 100, 0, 0, 0, 0, transform);

/**
 * One complete stream from the page's tables and the block, and the block's frame (width, height,
 * components) as its SOF says.
 */
export function completeStream(tables, block, photometric) {
  const head = tables?.length ? segments(tables, 'JPEGTables tag').map((s) => [tables, ...s]) : [];
  const own = segments(block, 'block').map((s) => [block, ...s]);
  const sos = own.at(-1);
  if (sos[1] !== 0xda) throw new Error('JPEG: the block has no scan (SOS marker)');
  const sof = [...head, ...own].find(([, m]) => isFrame(m));
  if (!sof) throw new Error('JPEG: the block has no frame header (SOF marker)');
  const [src, , at, end] = sof;
  if (end - at < 10) throw new Error('JPEG: the frame header is too short');
  const precision = src[at + 4];
  const height = (src[at + 5] << 8) | src[at + 6];
  const width = (src[at + 7] << 8) | src[at + 8];
  const components = src[at + 9];
  if (precision !== 8) throw new Error(`JPEG: ${precision}-bit samples; only 8-bit JPEG decodes here`);
  if (width === 0 || height === 0)
    throw new Error('JPEG: a frame of zero width or height (DNL) is unsupported');
  if (!(components in PIXEL_FORMAT)) throw new Error(`JPEG: ${components} components are unsupported`);
  // As the native decoder: photometric RGB and YCbCr say how 3 components are stored, whatever the markers say.
  const transform = components === 3 ? { 2: 0, 6: 1 }[photometric] : undefined;
  const parts = [Uint8Array.of(0xff, 0xd8)];
  if (transform !== undefined) parts.push(adobe(transform));
  for (const [src, marker, start, end] of [...head, ...own]) {
    if (marker === 0xd9 || marker === 0xda) continue;
    if (transform !== undefined && (marker === 0xe0 || marker === 0xee)) continue;
    parts.push(src.subarray(start, end));
  }
  parts.push(block.subarray(sos[2]));
  const stream = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    stream.set(p, o);
    o += p.length;
  }
  return { stream, width, height, components };
}

/**
 * Decodes one block: params { tables?, photometric, outputSize } as for the native decoder; interleaved 8-bit
 * samples (grey 1 per pixel, RGB 3, CMYK 4), at most `outputSize` bytes, into `into` when it is large enough.
 * Synchronous once the module is compiled; the first call on a thread waits for it.
 */
export function jpegDecodeWasm(input, params, into) {
  const { stream, width, height, components } = completeStream(params.tables, input, params.photometric);
  const size = width * height * components;
  const limit = params.outputSize ?? 0;
  if (size > limit)
    throw new Error(
      `JPEG: the block decodes to ${width}x${height}x${components} samples, more than its ${limit} bytes`,
    );
  if (!wasmModule) return compile().then(() => decodeWith(stream, width, height, components, size, into));
  return decodeWith(stream, width, height, components, size, into);
}

function decodeWith(stream, width, height, components, size, into) {
  const x = decoder();
  let ok = false;
  try {
    const src = x.malloc(stream.length);
    const dst = x.malloc(size);
    const handle = x.tjInitDecompress();
    if (!src || !dst || !handle) throw new Error('JPEG: the WebAssembly decoder is out of memory');
    new Uint8Array(x.memory.buffer, src, stream.length).set(stream);
    // Flags 0: accurate integer IDCT and smooth upsampling, libjpeg's defaults (and tifffile's).
    // A result of -1 without an error exit is a warning (such as a truncated scan, filled with grey):
    // libjpeg-turbo still wrote every row, and the native decoder and imagecodecs accept those too.
    x.tjDecompress2(handle, src, stream.length, dst, width, 0, height, PIXEL_FORMAT[components], 0);
    const out = into && into.length >= size ? into.subarray(0, size) : new Uint8Array(size);
    out.set(new Uint8Array(x.memory.buffer, dst, size));
    x.tjDestroy(handle);
    x.free(dst);
    x.free(src);
    ok = x.memory.buffer.byteLength <= MAX_MEMORY;
    return out;
  } catch (e) {
    if (e instanceof LibjpegExit) throw new Error(`JPEG: ${e.message}`);
    throw e;
  } finally {
    if (!ok) instance = undefined;
  }
}
