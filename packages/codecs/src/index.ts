/**
 * @bfio/codecs: the codec layer of bfio — one codec table per platform (Deflate/zlib/gzip, LZW, zstd, JPEG,
 * PackBits), one filter chain (byte order, TIFF predictors, float16, bit unpacking), one placement routine
 * (the strided copy) and one worker pool (worker_threads on Node, Web Workers in a browser). Backends decode
 * and encode through it; users only size the pool.
 */
export { availableLanes, platformName } from '#platform';
export { crc32c } from './checksums.mjs';
export { bloscFrameLength } from './codecs/numcodecs-wasm.mjs';
export {
  applyFloatPredictor,
  applyHorizontal,
  float16ToFloat32,
  reverseBits,
  swapBytes,
  undoFloatPredictor,
  undoHorizontal,
  unpackSamples,
  unsignedView,
  ycbcrToRgb,
} from './filters.mjs';
export { ChunkLane, type LaneJob, type RowsJob } from './lane/chunk-lane.js';
export { copyBlock, elementView, prefaultAhead, prefaulting } from './placement.mjs';
export type { CodecFn, CodecTable } from './platform/types.js';
export {
  type BuiltinCodec,
  CodecError,
  type CodecParams,
  type PlaceParams,
  type RunOptions,
  type ScatterParams,
  setSharedWorkerPool,
  sharedWorkerPool,
  WorkerPool,
  type WorkerPoolOptions,
} from './pool/worker-pool.js';
export { codecAvailable, implementation, runHere, runHereSync } from './run-here.js';
export { onSharedMemory } from './shared-memory.js';
