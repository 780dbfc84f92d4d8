/** The OME-Zarr writer of @bfio/zarr: `ZarrWriter.create` (target, new store or append) and its chunk writes. */

export type { ZarrCreateOptions } from './options.js';
export { ZarrWriter } from './zarr-writer.js';
