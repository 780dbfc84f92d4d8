/**
 * The optional native JPEG decoder and encoder (native-jpeg/: a Node-API binding over the system's
 * libjpeg-turbo, built by this package's `install` script when libjpeg62-turbo-dev is present), loaded by the
 * main thread (reader/decode.ts, writer/options.ts) and by the codec workers (worker-codecs.mjs). It sits at ../native-jpeg from this file
 * in the sources and from the bundle in dist. `BFIO_TIFF_NATIVE_JPEG=0` turns it off (geotiff's decoder then,
 * and no JPEG writing).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

let loaded;

/** The addon (`{ decode, encode? }`), or undefined when it is not built, does not load, or is switched off. */
export function jpegNative() {
  if (loaded === undefined) {
    loaded = null;
    const path = fileURLToPath(new URL('../native-jpeg/build/Release/bfio_jpeg.node', import.meta.url));
    if (process.env.BFIO_TIFF_NATIVE_JPEG !== '0' && existsSync(path)) {
      try {
        const addon = createRequire(import.meta.url)(path);
        if (typeof addon.decode === 'function') loaded = addon;
      } catch {
        // Built for another Node ABI, or libjpeg missing at run time: geotiff's decoder serves.
      }
    }
  }
  return loaded ?? undefined;
}

/**
 * The addon when it has the encoder (builds from before the encoder have only `decode`), else undefined.
 * The writer checks this at create so a missing addon is an error before any byte is written.
 */
export function jpegEncoder() {
  const addon = jpegNative();
  return typeof addon?.encode === 'function' ? addon : undefined;
}

/**
 * Encodes one tile (`height` rows of `width` interleaved 8-bit samples, `components` 1 or 3) to a complete
 * JPEG stream at `quality`; RGB is stored as YCbCr, chroma 2×2 subsampled when `subsample`.
 */
export function encodeJpeg(addon, data, width, height, components, quality, subsample) {
  const out = addon.encode(data, width, height, components, quality, subsample);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Decodes one TIFF JPEG block into at most `expected` bytes of interleaved 8-bit samples (RGB for
 * photometric YCbCr or RGB); returns the decoded bytes (a prefix of the output).
 */
export function decodeJpeg(addon, data, tables, photometric, expected) {
  const out = new Uint8Array(expected);
  const [w, h, c] = addon.decode(tables ?? null, data, photometric, out);
  return out.subarray(0, w * h * c);
}
