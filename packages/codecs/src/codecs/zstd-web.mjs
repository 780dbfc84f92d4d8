/**
 * Zstandard in a browser (or in Node without the zstd-napi addon), WebAssembly builds of libzstd loaded on
 * first use. Decoding a block of known size (every TIFF tile and Zarr chunk) uses zstddec (a decoder-only
 * build, 80 KB, already a dependency through geotiff.js): on the bench image's 1024² uint16 chunks it decodes
 * ~1.6× faster than numcodecs' build (230 against 145 MiB/s per core in V8, bench/browser), which stays for
 * encoding and for frames of unknown size, and reports what zstddec cannot (zstddec returns no bytes for a
 * damaged frame instead of an error). numcodecs is what zarrita.js uses.
 */
let Zstd;
const byLevel = new Map();

async function codec(level) {
  let c = byLevel.get(level);
  if (!c) {
    Zstd ??= import('numcodecs/zstd').then((m) => m.default);
    c = Zstd.then((Z) => new Z(level));
    byLevel.set(level, c);
  }
  return c;
}

let decoder;

/** zstddec's decoder, one per thread (its WASM instance holds the decoding context). */
function zstddec() {
  decoder ??= import('zstddec').then(async ({ ZSTDDecoder }) => {
    const d = new ZSTDDecoder();
    await d.init();
    return d;
  });
  return decoder;
}

export async function zstdDecodeWasm(input, params) {
  const size = params.outputSize;
  let out;
  if (size > 0 && input.length > 0) {
    // At most `size` bytes: a frame that holds more (or is damaged) decodes to none here.
    out = (await zstddec()).decode(input, size);
    if (out.length === 0) out = undefined;
  }
  out ??= await (await codec(1)).decode(input);
  if (size > 0 && (params.exact ? out.length !== size : out.length > size))
    throw new Error(
      `the block decodes to ${out.length} bytes, expected ${params.exact ? '' : 'at most '}${size}`,
    );
  return out;
}

export async function zstdEncodeWasm(input, params) {
  return (await codec(params.level ?? 1)).encode(input);
}
