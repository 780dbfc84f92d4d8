/**
 * @bfio/core/backend: what a backend author needs beyond the user API — the backend contract, the helpers
 * every format plugin shares (concurrency limits, strided copies, HTTP range reads with retries, crash-safe
 * temporary siblings, pyramid level sizes and block reduction), the object-store provider API, and the
 * stand-ins a backend's browser twin uses for Node built-ins. Users never need it: `@bfio/core` is the
 * user API, and a backend imports user-level names (errors, dtypes, options) from there.
 * packages/core/README.md says why each name is where it is.
 *
 * @example
 * ```ts
 * import { type Backend, SPECIFICATION_VERSION } from '@bfio/core/backend';
 * import { registerBackend } from '@bfio/core';
 * ```
 */

export {
  type Backend,
  isRemote,
  type ProbeInput,
  type ReaderBackend,
  type Region,
  regionLength,
  type SelectedImage,
  type SeriesInfo,
  SPECIFICATION_VERSION,
  type SpecificationVersion,
  type WriterBackend,
} from './backend.js';
export { reduceBlock } from './block-reduce.js';
export { asIoError, systemErrorCode } from './errors/index.js';
export { givenLevelSizes } from './level-sizes.js';
export { Limiter } from './limiter.js';
export { cOrderStrides, copyStrided, planarStrides } from './ndarray.js';
export {
  isObjectStoreUrl,
  KNOWN_OBJECT_STORES,
  type ObjectEntry,
  type ObjectStoreProvider,
  objectStoreFor,
  objectStoreScheme,
  registerObjectStore,
} from './object-store.js';
export * as memoryFs from './platform/memory-fs.js';
export { nodeOnly, nodeOnlyError } from './platform/node-only.js';
export * as urlPath from './platform/url-path.js';
export { KNOWN_BACKENDS, registerKnownBackend, selectReadBackend, selectWriteBackend } from './registry.js';
export {
  type ByteRange,
  fetchBytes,
  fetchWithRetry,
  type RangeSink,
  type RetryOptions,
  streamRange,
} from './remote.js';
export { sharedMemory } from './shared-outputs.js';
export { sweepStaleTemps, type TempKind, tempSibling } from './temp-sibling.js';
