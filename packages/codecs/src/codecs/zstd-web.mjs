/**
 * Zstandard in a browser (or in Node without the zstd-napi addon): numcodecs' WASM build of libzstd — the
 * same decoder zarrita.js uses, already a dependency through it, loaded on first use (the module is ~1 MB).
 * Speed comes from running it in every Web Worker of the pool, not from another build: @bokuweb/zstd-wasm
 * wraps the same libzstd.
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

export async function zstdDecodeWasm(input, params) {
  const out = await (await codec(1)).decode(input);
  const size = params.outputSize;
  if (size > 0 && (params.exact ? out.length !== size : out.length > size))
    throw new Error(
      `the block decodes to ${out.length} bytes, expected ${params.exact ? '' : 'at most '}${size}`,
    );
  return out;
}

export async function zstdEncodeWasm(input, params) {
  return (await codec(params.level ?? 1)).encode(input);
}
