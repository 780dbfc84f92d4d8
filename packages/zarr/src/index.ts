/**
 * @bfio/zarr: the OME-Zarr backend of bfio. Reads NGFF 0.1–0.5 on Zarr v2 and v3 (bioformats2raw and plate
 * layouts, bare arrays, sharded arrays) and writes NGFF 0.5 (Zarr v3) or 0.4 (Zarr v2) with optional pyramids.
 * `openStoreView` presents any image bfio reads as an OME-Zarr store (zarrita's async readable), unconverted.
 * Importing the package registers the backend with @bfio/core.
 *
 * @example
 * ```ts
 * import '@bfio/zarr';
 * import { BioReader } from '@bfio/core';
 * const reader = await BioReader.open('image.ome.zarr');
 * ```
 */
import { registerBackend } from '@bfio/core';
import { zarrBackend } from './backend.js';

registerBackend(zarrBackend);

export { zarrBackend } from './backend.js';
export { type ZarrContainerOptions, ZarrContainerWriter } from './container.js';
export {
  type LabelColor,
  type LabelImage,
  type LabelInfo,
  readLabels,
  type WriteLabelsOptions,
  writeLabels,
} from './labels.js';
export { buildLevels, type FinalizeResult, finalizeStore, storeLevelSource } from './parts/finalize.js';
export {
  type Block,
  levelPlan,
  type PartPlan,
  type PartSummary,
  partBlocks,
  planParts,
  summarizePart,
} from './parts/plan.js';
export {
  type PartResult,
  type PartSource,
  PLAN_FILE,
  type RunPartOptions,
  readPlan,
  recordPlan,
  runPart,
} from './parts/run-part.js';
export { type ZarrOpenOptions, ZarrReader } from './reader/index.js';
export { type StoreLayout, storeLayout, type Vec5 } from './store-layout.js';
export {
  type ByteRangeRequest,
  openStoreView,
  type StoreView,
  type StoreViewOptions,
} from './view/index.js';
export { type ZarrCreateOptions, ZarrWriter } from './writer/index.js';
