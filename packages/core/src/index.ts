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
 *
 * Backend authors: the contract and the helpers backends share are in `@bfio/core/backend`.
 */

export type { Compression, CreateOptions, DownsampleMode, LevelInfo, OpenOptions } from './backend.js';
export { BioReader, type BioReaderOptions, type ReadOptions } from './bio-reader.js';
export { BioWriter, type BioWriterOptions, type WriteArgs, type WriteData } from './bio-writer.js';
export type { Block, BlockOptions, BlockRegion } from './block-iterator.js';
export { type CopyImageOptions, type CopyProgress, copyImage } from './copy-image.js';
export * from './dtype.js';
export {
  BfioError,
  type BfioErrorOptions,
  type BfioErrorTag,
  ClosedError,
  CorruptFileError,
  FileExistsError,
  FileNotFoundError,
  InvalidDataError,
  IoError,
  isBfioError,
  MissingBackendError,
  OutOfRangeError,
  ReadOnlyError,
  UnknownFormatError,
  UnsupportedError,
} from './errors/index.js';
export { AXES, NDArray } from './ndarray.js';
export { type PlateField, type PlateLayout, type PlateWellLayout, plateLayout } from './plate.js';
export { memoryFiles } from './platform/memory-fs.js';
export {
  type Extent,
  type ListArg,
  type RangeArg,
  type ReadArgs,
  regionFromArgs,
  regionFromSlices,
  type SliceArg,
} from './region.js';
export { loadInstalledBackends, registerBackend, registeredBackends, unregisterBackend } from './registry.js';
export {
  maximumBatchSize,
  type TileBatch,
  type TileIndex,
  type TileOptions,
  type TilePadding,
} from './tile-iterator.js';
