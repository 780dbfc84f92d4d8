/**
 * @bfio/tiff: the TIFF / OME-TIFF backend of bfio. Importing this module registers the backend with
 * @bfio/core, so `BioReader`/`BioWriter` can open `.ome.tif`, `.tif`, `.btf`, `.companion.ome` files.
 *
 * @example
 * ```ts
 * import '@bfio/tiff';
 * import { BioReader } from '@bfio/core';
 * const reader = await BioReader.open('image.ome.tif');
 * ```
 */
import { registerBackend } from '@bfio/core';
import { tiffBackend } from './tiff-backend.js';

export { TiffReader, type TiffReaderOptions } from './reader/tiff-reader.js';
export { imageSize, probe, tiffBackend } from './tiff-backend.js';

registerBackend(tiffBackend);

export {
  type Reference,
  type ReferenceFileSystem,
  type TiffRefsOptions,
  tiffReferences,
} from './refs/tiff-refs.js';
