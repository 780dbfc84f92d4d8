/**
 * @bfio/core: read and write bioimages of any size as 5-D (Y, X, Z, C, T) arrays, region by region,
 * through pluggable backends.
 *
 * @example
 * ```ts
 * import { BioReader } from '@bfio/core';
 * import '@bfio/tiff'; // registers the OME-TIFF backend
 *
 * await using br = await BioReader.open('image.ome.tif');
 * const tile = await br.read({ X: [0, 1024], Y: [0, 1024], C: [0] });
 * ```
 */
export * from './errors/index.js';
export * from './dtype.js';
export * from './backend.js';
export { NDArray, AXES, cOrderStrides, planarStrides, copyStrided } from './ndarray.js';
export {
  type Extent,
  type ListArg,
  type RangeArg,
  type ReadArgs,
  type SliceArg,
  regionFromArgs,
  regionFromSlices,
} from './region.js';
export {
  KNOWN_BACKENDS,
  registerBackend,
  unregisterBackend,
  registeredBackends,
  selectReadBackend,
  selectWriteBackend,
  loadInstalledBackends,
} from './registry.js';
export { BioReader, type BioReaderOptions, type ReadOptions } from './bio-reader.js';
export { BioWriter, type BioWriterOptions, type WriteArgs, type WriteData } from './bio-writer.js';
export { copyImage, type CopyImageOptions, type CopyProgress } from './copy-image.js';
