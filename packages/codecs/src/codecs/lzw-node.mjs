/**
 * TIFF LZW decoding on Node: native/lzw.c when it is built (~5× the JavaScript decoder per CPU-second on the
 * bench's 1024² uint16 tiles, and above imagecodecs' decoder that tifffile uses), else lzw.mjs. Decodes into
 * `into` when it has room (the task runner's scratch or the caller's spare buffer). A stream the addon leaves
 * (old-style LSB-first) or rejects goes to the JavaScript decoder, whose result or error then stands, so both
 * paths fail alike on a damaged block.
 */
import { lzwDecode } from './lzw.mjs';
import { liblzw } from './native-addons.mjs';

export function lzwDecodeNode(input, params, into) {
  const size = params.outputSize;
  const addon = liblzw();
  if (!addon || !(size > 0)) return lzwDecode(input, size);
  const out = into && into.length >= size ? into.subarray(0, size) : new Uint8Array(size);
  const n = addon.lzwDecode(input, out);
  if (n < 0) return lzwDecode(input, size);
  return n === size ? out : out.subarray(0, n);
}
