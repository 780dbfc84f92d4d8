/**
 * Codecs written once for every platform: LZW and PackBits (plain JavaScript), Blosc and LZ4 (numcodecs'
 * WASM), the identity ('raw') and the pool's diagnostics codec ('echo'). Each codec is `(input, params, into?) => Uint8Array | Promise`, where
 * `into` is memory the caller would like the result in (used when the codec can decode in place).
 */
import { lzwDecode, lzwEncode } from './lzw.mjs';
import { bloscDecode, bloscEncode, lz4Decode, lz4Encode } from './numcodecs-wasm.mjs';
import { packbitsDecode } from './packbits.mjs';

export const common = {
  'lzw-decode': (input, params) => lzwDecode(input, params.outputSize),
  'lzw-encode': (input) => lzwEncode(input),
  'packbits-decode': packbitsDecode,
  'blosc-decode': bloscDecode,
  'blosc-encode': bloscEncode,
  'lz4-decode': lz4Decode,
  'lz4-encode': lz4Encode,
  /** No compression: the bytes as they are (the runner checks `outputSize` with `exact`). */
  raw: (input) => input,
  /** Tests and diagnostics: returns the input after `params.ms` of busy work (or fails with `params.fail`). */
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
