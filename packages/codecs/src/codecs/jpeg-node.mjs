/**
 * JPEG on Node through libjpeg-turbo (native-jpeg/, the library tifffile's pixels come from): TIFF JPEG
 * blocks (abbreviated streams with the page's JPEGTables) decode to interleaved 8-bit samples (RGB for
 * YCbCr pages); tiles encode as complete streams.
 */
import { libjpeg } from './native-addons.mjs';

/** params { tables?, photometric, outputSize }: at most `outputSize` bytes of samples. */
export function jpegDecode(input, params, into) {
  const addon = libjpeg();
  if (!addon) throw new Error('the native JPEG decoder (libjpeg-turbo) does not load here');
  const size = params.outputSize;
  const out = into && into.length >= size ? into.subarray(0, size) : new Uint8Array(size);
  const [w, h, c] = addon.decode(params.tables ?? null, input, params.photometric ?? 1, out);
  return out.subarray(0, w * h * c);
}

/** params { width, height, components, quality, subsample }: one complete JPEG stream. */
export function jpegEncode(input, params) {
  const addon = libjpeg();
  if (typeof addon?.encode !== 'function')
    throw new Error('the native JPEG encoder (libjpeg-turbo) does not load here');
  const { width, height, components, quality, subsample } = params;
  const out = addon.encode(input, width, height, components, quality ?? 90, subsample === true);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
