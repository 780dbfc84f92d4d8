/**
 * @bfio/tiff's codecs for @bfio/core's worker pool (the readers and writers pass this module's URL with
 * `sharedWorkerPool({ modules })`): LZW both ways, so LZW tiles decode and encode on every core and off
 * the event loop, as Deflate does with core's own 'inflate'/'deflate'.
 *
 * - 'tiff-lzw-decode': the input is one compressed block; decodes it to at most `params.expected` bytes.
 * - 'tiff-lzw-encode': the input is one block's bytes (predictor already applied); returns the LZW strip.
 */
import { lzwDecode, lzwEncode } from './lzw-codec.mjs';

export const codecs = {
  'tiff-lzw-decode': (input, params) => lzwDecode(input, params.expected),
  'tiff-lzw-encode': (input) => lzwEncode(input),
};
