/**
 * JPEG decoding in a browser: geotiff.js's JavaScript decoder (which reads TIFF's abbreviated streams with
 * the page's JPEGTables). It differs from libjpeg-turbo (Node's decoder, and tifffile's) by ±1 on a few per
 * cent of pixels: its IDCT and upsampling are its own. Loaded on first use. Like libjpeg-turbo's path, the
 * result is RGB for YCbCr pages (photometric 6): geotiff's decoder leaves YCbCr, converted here.
 */
import { ycbcrToRgb } from '../filters.mjs';

let getDecoder;

export async function jpegDecodeWeb(input, params) {
  getDecoder ??= import('geotiff').then((m) => m.getDecoder);
  const decoder = await (await getDecoder)(7, {
    tileWidth: params.width,
    tileHeight: params.height,
    predictor: 1,
    bitsPerSample: 8,
    planarConfiguration: 1,
    ...(params.tables ? { JPEGTables: params.tables } : {}),
  });
  const copy = input.slice().buffer;
  let out = new Uint8Array(await decoder.decodeBlock(copy));
  if (params.photometric === 6 && out.length === params.width * params.height * 3) ycbcrToRgb(out);
  if (params.outputSize > 0 && out.length > params.outputSize) out = out.subarray(0, params.outputSize);
  return out;
}
