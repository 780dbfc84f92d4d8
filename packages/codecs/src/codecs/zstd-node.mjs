/**
 * Zstandard on Node through zstd-napi (libzstd compiled from its bundled sources): several times faster than
 * the WASM build, and it decodes frames without a content size, which the WASM decoder rejects. One
 * decompression and one compression context per thread, reused block after block.
 */
import { libzstd } from './native-addons.mjs';
import { scratch } from './scratch.mjs';

function need() {
  const z = libzstd();
  if (!z) throw new Error('the zstd-napi addon does not load here');
  return z;
}

let dctx;
let cctx;
let cctxLevel;
let cctxChecksum;

/**
 * Decode one frame. `params.outputSize`: the block's size — the result may not be larger, and with
 * `params.exact` must be exactly that. Decodes into `into` when it has room (the caller's buffer), else a
 * fresh buffer.
 */
export function zstdDecode(input, params, into) {
  const z = need();
  const size = params.outputSize;
  const content = z.binding.getFrameContentSize(input);
  let out;
  if (typeof content === 'number' && (!(size > 0) || content <= size)) {
    dctx ??= new z.binding.DCtx();
    // Frames back to back (a run of chunks from one Zarr shard) decode one after another into one output
    // of the caller's exact size; the header gives only the first frame's size.
    const want = params.exact && size > content ? size : content;
    const dst = into && into.length >= want ? into.subarray(0, want) : new Uint8Array(want);
    const n = dctx.decompress(dst, input);
    out = dst.subarray(0, n);
  } else {
    // No content size in the frame header (streamed frames), or one larger than the block: the streaming
    // decoder finds out (bounded by the check below only after the fact, as libzstd allocates per window).
    const b = z.api.decompress(input);
    out = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
  if (size > 0 && (params.exact ? out.length !== size : out.length > size))
    throw new Error(
      `the block decodes to ${out.length} bytes, expected ${params.exact ? '' : 'at most '}${size}`,
    );
  return out;
}

/**
 * Encode one frame at `params.level` (default 1) with the content size in its header; `params.checksum` adds
 * the content checksum (Zarr v3's zstd `checksum`). One compression context per thread, reset only when the
 * level or checksum changes (a shard task encodes its 64 inner chunks back to back through it). The result is
 * a view of this thread's scratch buffer: the runner copies it out, or writes it straight to a file.
 */
export function zstdEncode(input, params) {
  const { binding } = need();
  const level = params.level ?? 1;
  const checksum = params.checksum ? 1 : 0;
  if (!cctx) cctx = new binding.CCtx();
  if (cctxLevel !== level || cctxChecksum !== checksum) {
    cctx.reset(binding.ResetDirective.parameters);
    cctx.setParameter(binding.CParameter.compressionLevel, level);
    cctx.setParameter(binding.CParameter.checksumFlag, checksum);
    cctxLevel = level;
    cctxChecksum = checksum;
  }
  const out = scratch(binding.compressBound(input.byteLength));
  const n = cctx.compress2(out, input);
  return out.subarray(0, n);
}
