/**
 * The codec table in a browser: the platform's DecompressionStream/CompressionStream for the Deflate family,
 * numcodecs' WASM libzstd, libjpeg-turbo's JPEG decoder compiled to WASM, and the common JavaScript codecs.
 * Used by the Web Workers of the pool and by the page's thread when it decodes without one.
 */
import { common } from './codecs/common.mjs';
import { jpegDecodeWasm } from './codecs/jpeg-wasm.mjs';
import { deflateWeb, inflateWeb } from './codecs/zlib-web.mjs';
import { zstdDecodeWasm, zstdEncodeWasm } from './codecs/zstd-web.mjs';

const unavailable = (what) => () => {
  throw new Error(`${what} is not available in a browser`);
};

export const codecs = {
  ...common,
  inflate: inflateWeb('inflate'),
  'inflate-raw': inflateWeb('inflate-raw'),
  gunzip: inflateWeb('gunzip'),
  deflate: deflateWeb('deflate'),
  'deflate-raw': deflateWeb('deflate-raw'),
  gzip: deflateWeb('gzip'),
  'zstd-decode': zstdDecodeWasm,
  'zstd-encode': zstdEncodeWasm,
  'jpeg-decode': jpegDecodeWasm,
  'jpeg-encode': unavailable('JPEG encoding'),
};
