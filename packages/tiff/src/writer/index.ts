/**
 * The streaming tiled OME-TIFF writer of @bfio/tiff. The backend's `create` calls `createTiffWriter`.
 */

export type { TiffCreateOptions } from './options.js';
export { checkTiffOptions, DEFAULT_SOFTWARE, DEFAULT_TILE_SIZE } from './options.js';
export { createTiffWriter } from './tiff-writer.js';
