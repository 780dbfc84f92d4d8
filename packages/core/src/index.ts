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

export * from './backend.js';
export { BioReader, type BioReaderOptions, type ReadOptions } from './bio-reader.js';
export { BioWriter, type BioWriterOptions, type WriteArgs, type WriteData } from './bio-writer.js';
export { reduceBlock } from './block-reduce.js';
export { type CopyImageOptions, type CopyProgress, copyImage } from './copy-image.js';
export * from './dtype.js';
export * from './errors/index.js';
export { givenLevelSizes } from './level-sizes.js';
export { Limiter } from './limiter.js';
export { AXES, cOrderStrides, copyStrided, NDArray, planarStrides } from './ndarray.js';
export {
  isObjectStoreUrl,
  KNOWN_OBJECT_STORES,
  type ObjectEntry,
  type ObjectStoreProvider,
  objectStoreFor,
  objectStoreScheme,
  registerObjectStore,
} from './object-store.js';
export { nodeOnly, nodeOnlyError } from './platform/node-only.js';
export * as urlPath from './platform/url-path.js';
export { memoryFiles } from './platform/memory-fs.js';
export * as memoryFs from './platform/memory-fs.js';
export { type PlateField, type PlateLayout, type PlateWellLayout, plateLayout } from './plate.js';
export {
  type Extent,
  type ListArg,
  type RangeArg,
  type ReadArgs,
  regionFromArgs,
  regionFromSlices,
  type SliceArg,
} from './region.js';
export {
  KNOWN_BACKENDS,
  loadInstalledBackends,
  registerBackend,
  registeredBackends,
  registerKnownBackend,
  selectReadBackend,
  selectWriteBackend,
  unregisterBackend,
} from './registry.js';
export { type ByteRange, fetchBytes, fetchWithRetry, type RetryOptions } from './remote.js';
export { sweepStaleTemps, type TempKind, tempSibling } from './temp-sibling.js';
export {
  maximumBatchSize,
  type TileBatch,
  type TileIndex,
  type TileOptions,
  type TilePadding,
} from './tile-iterator.js';
