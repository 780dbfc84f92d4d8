/**
 * @bfio/tiff's codecs for @bfio/core's worker pool (the readers and writers pass this module's URL with
 * `sharedWorkerPool({ modules })`): LZW both ways, so LZW tiles decode and encode on every core and off
 * the event loop, as Deflate does with core's own 'inflate'/'deflate'; and JPEG through libjpeg-turbo.
 *
 * - 'tiff-lzw-decode': the input is one compressed block; decodes it to at most `params.expected` bytes.
 * - 'tiff-lzw-encode': the input is one block's bytes (predictor already applied); returns the LZW strip.
 * - 'tiff-zstd-decode' / 'tiff-zstd-encode': zstd blocks (zstd-native.mjs), decoded to at most
 *   `params.expected` bytes / encoded at `params.level`.
 * - 'tiff-jpeg-decode': the input is one JPEG block; `params.tables` the page's JPEGTables, `photometric`
 *   its photometric interpretation, `expected` the block's size; returns interleaved 8-bit samples (RGB for
 *   YCbCr pages) from libjpeg-turbo (jpeg-native.mjs), the decoder tifffile's pixels come from.
 * - 'tiff-jpeg-encode': the input is one tile of interleaved 8-bit samples; `params` { width, height,
 *   components, quality, subsample }; returns one complete JPEG stream (libjpeg-turbo, jpeg-native.mjs).
 */
import { decodeJpeg, encodeJpeg, jpegEncoder, jpegNative } from './jpeg-native.mjs';
import { lzwDecode, lzwEncode } from './lzw-codec.mjs';
import { zstdNative } from './zstd-native.mjs';

function zstdOrThrow() {
  const zstd = zstdNative();
  if (!zstd) throw new Error('the zstd-napi addon does not load in the codec worker');
  return zstd;
}

export const codecs = {
  'tiff-lzw-decode': (input, params) => lzwDecode(input, params.expected),
  'tiff-lzw-encode': (input) => lzwEncode(input),
  'tiff-zstd-decode': (input, params) => {
    const out = zstdOrThrow().decompress(input);
    if (out.length > params.expected)
      throw new Error(`the block decodes to ${out.length} bytes, more than its ${params.expected}`);
    return out;
  },
  'tiff-zstd-encode': (input, params) => zstdOrThrow().compress(input, { compressionLevel: params.level }),
  'tiff-jpeg-decode': (input, params) => {
    const addon = jpegNative();
    if (!addon) throw new Error('the native JPEG decoder does not load in the codec worker');
    return decodeJpeg(addon, input, params.tables, params.photometric, params.expected);
  },
  'tiff-jpeg-encode': (input, params) => {
    const addon = jpegEncoder();
    if (!addon) throw new Error('the native JPEG encoder does not load in the codec worker');
    const { width, height, components, quality, subsample } = params;
    return encodeJpeg(addon, input, width, height, components, quality, subsample);
  },
};
