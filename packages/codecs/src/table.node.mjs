/**
 * The codec table on Node: the fastest implementation this platform has for each codec — node:zlib and
 * libdeflate, zstd-napi, libjpeg-turbo — and the common JavaScript ones. Without an addon the codec falls back
 * to the browser's implementation (numcodecs' WASM zstd, libjpeg-turbo's JPEG decoder as WASM, equal to the
 * addon's samples); JPEG encoding then fails (writers check `codecAvailable` at create). Codec workers and the
 * main thread use the same table.
 */
import { common } from './codecs/common.mjs';
import { jpegDecode, jpegEncode } from './codecs/jpeg-node.mjs';
import { jpegDecodeWasm } from './codecs/jpeg-wasm.mjs';
import { lzwDecodeNode } from './codecs/lzw-node.mjs';
import { libjpeg, liblzw, libzstd } from './codecs/native-addons.mjs';
import { predicting } from './codecs/predict-node.mjs';
import { deflate, inflate } from './codecs/zlib-node.mjs';
import { zstdDecode, zstdEncode } from './codecs/zstd-node.mjs';
import { zstdDecodeWasm, zstdEncodeWasm } from './codecs/zstd-web.mjs';
import { writeShard } from './shard-task.mjs';

export const codecs = {
  ...common,
  inflate: (input, params, into) => inflate('inflate', input, params, into),
  'inflate-raw': (input, params) => inflate('inflate-raw', input, params),
  gunzip: (input, params) => inflate('gunzip', input, params),
  deflate: (input, params, into) => deflate('deflate', input, params, into),
  'deflate-raw': (input, params) => deflate('deflate-raw', input, params),
  gzip: (input, params) => deflate('gzip', input, params),
  'zstd-decode': (input, params, into) =>
    libzstd() ? zstdDecode(input, params, into) : zstdDecodeWasm(input, params),
  'zstd-encode': (input, params) => (libzstd() ? zstdEncode(input, params) : zstdEncodeWasm(input, params)),
  'jpeg-decode': (input, params, into) =>
    libjpeg() ? jpegDecode(input, params, into) : jpegDecodeWasm(input, params, into),
  'jpeg-encode': jpegEncode,
  'lzw-decode': lzwDecodeNode,
  // A whole Zarr v3 shard cut, encoded and written as its file (shard-task.mjs); a task, not a codec.
  'zarr-shard-write': writeShard,
};

// The encoders difference their input in C (predict-node.mjs), not in run-task.mjs's JavaScript prefilter.
for (const name of ['deflate', 'zstd-encode', 'lzw-encode', 'raw']) codecs[name] = predicting(codecs[name]);

/** Which implementation serves a codec here: 'native' (an addon), 'wasm', 'js' or 'platform'. */
export function implementation(codec) {
  if (codec.startsWith('zstd')) return libzstd() ? 'native' : 'wasm';
  if (codec.startsWith('jpeg')) return libjpeg() ? 'native' : codec === 'jpeg-decode' ? 'wasm' : 'none';
  if (codec.startsWith('blosc') || codec.startsWith('lz4')) return 'wasm';
  if (codec === 'deflate') return 'native-or-zlib';
  if (codec === 'lzw-decode') return liblzw() ? 'native' : 'js';
  return codec in common ? 'js' : 'platform';
}
